/* The C compiler's view of the public structs' layout, for the ABI agreement tests. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "rtlog.h"
#include "rtlog.h" /* included twice on purpose: the include guard must hold */

#define STRUCT(T) if (!strcmp(name, #T)) return what == 0 ? (int64_t)sizeof(T) : what == 1 ? (int64_t)_Alignof(T) : -1;
#define FIELD(T, F) if (!strcmp(name, #T "." #F)) return what == 0 ? (int64_t)sizeof(((T *)0)->F) : what == 2 ? (int64_t)offsetof(T, F) : -1;

int64_t rtlog_probe_layout(const char *name, int what);

int64_t rtlog_probe_layout(const char *name, int what) {
    STRUCT(rtlog_config)
    FIELD(rtlog_config, struct_size) FIELD(rtlog_config, dir) FIELD(rtlog_config, max_producers)
    FIELD(rtlog_config, max_record_size) FIELD(rtlog_config, critical_depth)
    FIELD(rtlog_config, normal_depth) FIELD(rtlog_config, dispatch_budget)
    FIELD(rtlog_config, dispatch_period_us) FIELD(rtlog_config, durability)
    FIELD(rtlog_config, batch_records) FIELD(rtlog_config, batch_interval_us)
    FIELD(rtlog_config, segment_bytes) FIELD(rtlog_config, retention_segments)
    FIELD(rtlog_config, retention_bytes) FIELD(rtlog_config, retention_age_s)
    FIELD(rtlog_config, preallocate) FIELD(rtlog_config, backend)
    FIELD(rtlog_config, normal_overflow) FIELD(rtlog_config, sample_high_water_pct)
    FIELD(rtlog_config, sample_one_in) FIELD(rtlog_config, manual)
    FIELD(rtlog_config, supervisor_period_us) FIELD(rtlog_config, degraded_quiet_ms)
    FIELD(rtlog_config, degraded_lag_records) FIELD(rtlog_config, safe_on_critical)
    FIELD(rtlog_config, on_state_change) FIELD(rtlog_config, on_state_change_user) FIELD(rtlog_config, direct_io)
    FIELD(rtlog_config, dlt_enable) FIELD(rtlog_config, dlt_app_id)
    FIELD(rtlog_config, dlt_pipe_dir) FIELD(rtlog_config, dlt_queue_records)
    FIELD(rtlog_config, dlt_level_critical) FIELD(rtlog_config, dlt_level_normal)
    STRUCT(rtlog_stats) FIELD(rtlog_stats, struct_size)
    FIELD(rtlog_stats, published) FIELD(rtlog_stats, dropped) FIELD(rtlog_stats, dispatched)
    FIELD(rtlog_stats, persisted) FIELD(rtlog_stats, bytes_written) FIELD(rtlog_stats, durable_lsn)
    FIELD(rtlog_stats, state) FIELD(rtlog_stats, epoch) FIELD(rtlog_stats, lost)
    FIELD(rtlog_stats, write_errors) FIELD(rtlog_stats, sync_errors)
    FIELD(rtlog_stats, recovered_torn_bytes) FIELD(rtlog_stats, syncs)
    FIELD(rtlog_stats, segments_deleted) FIELD(rtlog_stats, last_errno)
    FIELD(rtlog_stats, transitions) FIELD(rtlog_stats, persisted_stream) FIELD(rtlog_stats, lag)
    FIELD(rtlog_stats, max_sync_ns) FIELD(rtlog_stats, oldest_pending_age_ns)
    STRUCT(rtlog_dlt_stats) FIELD(rtlog_dlt_stats, struct_size)
    FIELD(rtlog_dlt_stats, enabled) FIELD(rtlog_dlt_stats, connected) FIELD(rtlog_dlt_stats, offered)
    FIELD(rtlog_dlt_stats, sent) FIELD(rtlog_dlt_stats, queued) FIELD(rtlog_dlt_stats, lost)
    FIELD(rtlog_dlt_stats, lost_queue_full) FIELD(rtlog_dlt_stats, lost_too_large)
    FIELD(rtlog_dlt_stats, lost_at_shutdown) FIELD(rtlog_dlt_stats, loss_markers)
    FIELD(rtlog_dlt_stats, connects) FIELD(rtlog_dlt_stats, reconnects)
    FIELD(rtlog_dlt_stats, disconnects) FIELD(rtlog_dlt_stats, last_errno)
    STRUCT(rtlog_producer_stats) FIELD(rtlog_producer_stats, struct_size)
    FIELD(rtlog_producer_stats, published) FIELD(rtlog_producer_stats, dropped)
    FIELD(rtlog_producer_stats, durable) FIELD(rtlog_producer_stats, in_ring)
    FIELD(rtlog_producer_stats, id)
    STRUCT(rtlog_record) FIELD(rtlog_record, struct_size)
    FIELD(rtlog_record, lsn) FIELD(rtlog_record, seq) FIELD(rtlog_record, timestamp_ns)
    FIELD(rtlog_record, epoch) FIELD(rtlog_record, producer) FIELD(rtlog_record, type)
    FIELD(rtlog_record, stream) FIELD(rtlog_record, payload) FIELD(rtlog_record, len)
    FIELD(rtlog_record, kind)
    STRUCT(rtlog_reader_options)
    FIELD(rtlog_reader_options, struct_size) FIELD(rtlog_reader_options, stream)
    FIELD(rtlog_reader_options, from_wall_ns) FIELD(rtlog_reader_options, to_wall_ns)
    FIELD(rtlog_reader_options, lsn_from) FIELD(rtlog_reader_options, lsn_to)
    FIELD(rtlog_reader_options, producer) FIELD(rtlog_reader_options, type)
    STRUCT(rtlog_reader_counts) FIELD(rtlog_reader_counts, struct_size)
    FIELD(rtlog_reader_counts, records) FIELD(rtlog_reader_counts, matched)
    FIELD(rtlog_reader_counts, segments) FIELD(rtlog_reader_counts, bad_segments)
    FIELD(rtlog_reader_counts, corrupt_regions) FIELD(rtlog_reader_counts, torn_bytes)
    FIELD(rtlog_reader_counts, epochs) FIELD(rtlog_reader_counts, crashed_epochs)
    STRUCT(rtlog_field) FIELD(rtlog_field, struct_size)
    FIELD(rtlog_field, name) FIELD(rtlog_field, type) FIELD(rtlog_field, offset)
    FIELD(rtlog_field, size) FIELD(rtlog_field, array_len)
    STRUCT(rtlog_type_info) FIELD(rtlog_type_info, struct_size)
    FIELD(rtlog_type_info, name) FIELD(rtlog_type_info, layout) FIELD(rtlog_type_info, fields)
    FIELD(rtlog_type_info, field_count) FIELD(rtlog_type_info, size)
    FIELD(rtlog_type_info, align) FIELD(rtlog_type_info, type)
    STRUCT(rtlog_status) STRUCT(rtlog_stream) STRUCT(rtlog_durability) STRUCT(rtlog_state)
    STRUCT(rtlog_backend) STRUCT(rtlog_overflow) STRUCT(rtlog_frame_kind) STRUCT(rtlog_field_type)
    STRUCT(rtlog_dlt_level)
    return -1;
}
