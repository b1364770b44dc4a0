use super::{c, probe};
use rtlog::ffi as rs;
use std::mem::{align_of, offset_of, size_of};

/// Compares size and alignment of a struct, and size and offset of each listed field, across
/// bindgen (`c::T`), the C compiler (`probe`) and Rust (`rs::T`).
macro_rules! same_layout {
    ($t:ident { $($f:ident $(as $cf:ident)?),* $(,)? }) => {{
        let name = stringify!($t);
        assert_eq!(size_of::<c::$t>(), size_of::<rs::$t>(), "sizeof({name}): bindgen vs Rust");
        assert_eq!(align_of::<c::$t>(), align_of::<rs::$t>(), "alignof({name}): bindgen vs Rust");
        assert_eq!(probe(name, 0), size_of::<rs::$t>() as i64, "sizeof({name}): C vs Rust");
        assert_eq!(probe(name, 1), align_of::<rs::$t>() as i64, "alignof({name}): C vs Rust");
        let mut fields = 0;
        $(
            let field = same_layout!(@cname $f $(as $cf)?);
            let full = format!("{name}.{field}");
            let rs_off = offset_of!(rs::$t, $f);
            assert_eq!(same_layout!(@coff $t $f $(as $cf)?), rs_off, "offsetof({full}): bindgen vs Rust");
            assert_eq!(probe(&full, 2), rs_off as i64, "offsetof({full}): C vs Rust");
            assert!(probe(&full, 0) > 0, "{full} unknown to the C probe");
            fields += 1;
        )*
        fields
    }};
    (@cname $f:ident) => { stringify!($f) };
    // bindgen appends `_` to C names that are Rust keywords (`type` → `type_`).
    (@cname $f:ident as $cf:ident) => { stringify!($cf).trim_end_matches('_') };
    (@coff $t:ident $f:ident) => { offset_of!(c::$t, $f) };
    (@coff $t:ident $f:ident as $cf:ident) => { offset_of!(c::$t, $cf) };
}

#[test]
fn config_layout_agrees() {
    let n = same_layout!(rtlog_config {
        struct_size,
        dir,
        max_producers,
        max_record_size,
        critical_depth,
        normal_depth,
        dispatch_budget,
        dispatch_period_us,
        durability,
        batch_records,
        batch_interval_us,
        segment_bytes,
        retention_segments,
        retention_bytes,
        retention_age_s,
        preallocate,
        backend,
        normal_overflow,
        sample_high_water_pct,
        sample_one_in,
        manual,
        supervisor_period_us,
        degraded_quiet_ms,
        degraded_lag_records,
        safe_on_critical,
        on_state_change,
        on_state_change_user,
        direct_io,
        dlt_enable,
        dlt_app_id,
        dlt_pipe_dir,
        dlt_queue_records,
        dlt_level_critical,
        dlt_level_normal,
    });
    assert_eq!(n, 34);
}

#[test]
fn dlt_stats_layout_agrees() {
    same_layout!(rtlog_dlt_stats {
        struct_size,
        enabled,
        connected,
        offered,
        sent,
        queued,
        lost,
        lost_queue_full,
        lost_too_large,
        lost_at_shutdown,
        loss_markers,
        connects,
        reconnects,
        disconnects,
        last_errno,
    });
}

#[test]
fn stats_layout_agrees() {
    same_layout!(rtlog_stats {
        struct_size,
        published,
        dropped,
        dispatched,
        persisted,
        bytes_written,
        durable_lsn,
        state,
        epoch,
        lost,
        write_errors,
        sync_errors,
        recovered_torn_bytes,
        transitions,
        persisted_stream,
        lag,
        max_sync_ns,
        oldest_pending_age_ns,
    });
}

#[test]
fn record_layout_agrees() {
    same_layout!(rtlog_record { struct_size, lsn, seq, timestamp_ns, epoch, producer, r#type as type_, stream, payload, len, kind,
    });
}

#[test]
fn producer_stats_layout_agrees() {
    same_layout!(rtlog_producer_stats { struct_size, published, dropped, durable, in_ring, id });
}

#[test]
fn reader_structs_layout_agrees() {
    same_layout!(rtlog_reader_options {
        struct_size, stream, from_wall_ns, to_wall_ns, lsn_from, lsn_to, producer, r#type as type_,
    });
    same_layout!(rtlog_reader_counts {
        struct_size,
        records,
        matched,
        segments,
        bad_segments,
        corrupt_regions,
        torn_bytes,
        epochs,
        crashed_epochs,
    });
}

#[test]
fn schema_structs_layout_agrees() {
    same_layout!(rtlog_field { struct_size, name, r#type as type_, offset, size, array_len });
    same_layout!(rtlog_type_info {
        struct_size, name, layout, fields, field_count, size, align, r#type as type_,
    });
}

#[test]
fn message_reader_structs_layout_agree() {
    same_layout!(rtlog_message_info {
        struct_size,
        callsite,
        level,
        line,
        arg_count,
        known,
        file,
        function,
        format,
    });
    same_layout!(rtlog_message_arg {
        struct_size, r#type as type_, value, length, truncated, is_null,
    });
}

#[test]
fn enums_have_the_contract_values() {
    use c::{rtlog_durability as d, rtlog_state as st, rtlog_status as s, rtlog_stream as sm};
    assert_eq!(size_of::<c::rtlog_status>(), size_of::<rs::rtlog_status>());
    let statuses = [
        (s::RTLOG_OK, rs::rtlog_status::RTLOG_OK, 0),
        (s::RTLOG_END, rs::rtlog_status::RTLOG_END, 1),
        (s::RTLOG_ERR_INVALID_ARGUMENT, rs::rtlog_status::RTLOG_ERR_INVALID_ARGUMENT, 2),
        (s::RTLOG_ERR_INVALID_STATE, rs::rtlog_status::RTLOG_ERR_INVALID_STATE, 3),
        (s::RTLOG_ERR_FULL, rs::rtlog_status::RTLOG_ERR_FULL, 4),
        (s::RTLOG_ERR_TOO_LARGE, rs::rtlog_status::RTLOG_ERR_TOO_LARGE, 5),
        (s::RTLOG_ERR_CONFIG, rs::rtlog_status::RTLOG_ERR_CONFIG, 6),
        (s::RTLOG_ERR_IO, rs::rtlog_status::RTLOG_ERR_IO, 7),
        (s::RTLOG_ERR_CORRUPT, rs::rtlog_status::RTLOG_ERR_CORRUPT, 8),
        (s::RTLOG_ERR_TIMEOUT, rs::rtlog_status::RTLOG_ERR_TIMEOUT, 9),
        (s::RTLOG_ERR_INTERNAL, rs::rtlog_status::RTLOG_ERR_INTERNAL, 10),
    ];
    for (cv, rv, n) in statuses {
        assert_eq!((cv as i64, rv as i64), (n, n));
    }
    assert_eq!((sm::RTLOG_STREAM_CRITICAL as u32, sm::RTLOG_STREAM_NORMAL as u32), (0, 1));
    assert_eq!(rs::rtlog_stream::RTLOG_STREAM_NORMAL as u32, 1);
    let modes = [
        d::RTLOG_DURABILITY_NONE,
        d::RTLOG_DURABILITY_FLUSH,
        d::RTLOG_DURABILITY_FSYNC,
        d::RTLOG_DURABILITY_FSYNC_BATCH,
    ];
    for (i, m) in modes.into_iter().enumerate() {
        assert_eq!(m as usize, i);
    }
    let states = [
        st::RTLOG_STATE_INIT,
        st::RTLOG_STATE_NORMAL,
        st::RTLOG_STATE_DEGRADED,
        st::RTLOG_STATE_CRITICAL,
        st::RTLOG_STATE_SAFE,
        st::RTLOG_STATE_STOPPED,
    ];
    for (i, m) in states.into_iter().enumerate() {
        assert_eq!(m as usize, i);
    }
    let levels = [
        c::rtlog_dlt_level::RTLOG_DLT_LEVEL_OFF,
        c::rtlog_dlt_level::RTLOG_DLT_LEVEL_FATAL,
        c::rtlog_dlt_level::RTLOG_DLT_LEVEL_ERROR,
        c::rtlog_dlt_level::RTLOG_DLT_LEVEL_WARN,
        c::rtlog_dlt_level::RTLOG_DLT_LEVEL_INFO,
        c::rtlog_dlt_level::RTLOG_DLT_LEVEL_DEBUG,
        c::rtlog_dlt_level::RTLOG_DLT_LEVEL_VERBOSE,
    ];
    for (i, l) in levels.into_iter().enumerate() {
        // libdlt's DltLogLevelType values (dlt_types.h): DLT_LOG_OFF = 0 .. DLT_LOG_VERBOSE = 6.
        assert_eq!(l as usize, i);
    }
    use c::rtlog_field_type as f;
    let fields = [
        (f::RTLOG_FIELD_I8, rs::rtlog_field_type::RTLOG_FIELD_I8),
        (f::RTLOG_FIELD_I16, rs::rtlog_field_type::RTLOG_FIELD_I16),
        (f::RTLOG_FIELD_I32, rs::rtlog_field_type::RTLOG_FIELD_I32),
        (f::RTLOG_FIELD_I64, rs::rtlog_field_type::RTLOG_FIELD_I64),
        (f::RTLOG_FIELD_U8, rs::rtlog_field_type::RTLOG_FIELD_U8),
        (f::RTLOG_FIELD_U16, rs::rtlog_field_type::RTLOG_FIELD_U16),
        (f::RTLOG_FIELD_U32, rs::rtlog_field_type::RTLOG_FIELD_U32),
        (f::RTLOG_FIELD_U64, rs::rtlog_field_type::RTLOG_FIELD_U64),
        (f::RTLOG_FIELD_F32, rs::rtlog_field_type::RTLOG_FIELD_F32),
        (f::RTLOG_FIELD_F64, rs::rtlog_field_type::RTLOG_FIELD_F64),
        (f::RTLOG_FIELD_BOOL, rs::rtlog_field_type::RTLOG_FIELD_BOOL),
        (f::RTLOG_FIELD_CHAR, rs::rtlog_field_type::RTLOG_FIELD_CHAR),
    ];
    for (i, (cv, rv)) in fields.into_iter().enumerate() {
        assert_eq!((cv as usize, rv as usize), (i + 1, i + 1));
    }
    for name in [
        "rtlog_dlt_level",
        "rtlog_status",
        "rtlog_stream",
        "rtlog_durability",
        "rtlog_state",
        "rtlog_backend",
        "rtlog_overflow",
        "rtlog_frame_kind",
        "rtlog_field_type",
    ] {
        assert_eq!(probe(name, 0), 4, "{name} must be int-sized: the Rust side reads it as u32");
    }
}

#[test]
fn header_functions_link_to_the_library() {
    // Calls through bindgen's declarations: a signature mismatch in arity or types would fail
    // to compile here, and a missing symbol would fail to link.
    // SAFETY: every call passes valid or NULL pointers as the header documents.
    unsafe {
        let mut cfg: c::rtlog_config = std::mem::zeroed();
        c::rtlog_config_init(&mut cfg, size_of::<c::rtlog_config>());
        assert_eq!(cfg.struct_size as usize, size_of::<c::rtlog_config>());
        assert_eq!(cfg.max_producers, 8);
        assert_eq!((cfg.dlt_enable, cfg.dlt_queue_records), (0, 4096));
        assert!(cfg.dlt_app_id.is_null() && cfg.dlt_pipe_dir.is_null());
        let mut lg = std::ptr::null_mut();
        assert_eq!(c::rtlog_init(&cfg, &mut lg), c::rtlog_status::RTLOG_ERR_CONFIG);
        assert!(lg.is_null());
        assert_eq!(c::rtlog_get_state(lg), c::rtlog_state::RTLOG_STATE_STOPPED);
        assert_eq!(
            c::rtlog_tick(lg, std::ptr::null_mut()),
            c::rtlog_status::RTLOG_ERR_INVALID_ARGUMENT
        );
        assert_eq!(c::rtlog_producer_id(std::ptr::null()), u16::MAX);
        c::rtlog_destroy(std::ptr::null_mut());
        c::rtlog_reader_close(std::ptr::null_mut());
        let mut size = 0u32;
        assert_eq!(
            c::rtlog_layout_size(c"u8 a; f64 b".as_ptr(), &mut size),
            c::rtlog_status::RTLOG_OK
        );
        assert_eq!(size, 16);
        let null = std::ptr::null();
        assert_eq!(
            c::rtlog_type_register(std::ptr::null_mut(), 1, null, null),
            c::rtlog_status::RTLOG_ERR_INVALID_ARGUMENT
        );
        assert_eq!(
            c::rtlog_type_size(null.cast(), 1, &mut size),
            c::rtlog_status::RTLOG_ERR_INVALID_ARGUMENT
        );
        let mut info = std::ptr::null();
        assert_eq!(
            c::rtlog_reader_schema(null.cast(), 1, &mut info),
            c::rtlog_status::RTLOG_ERR_INVALID_ARGUMENT
        );
        assert_eq!(
            c::rtlog_reader_format(
                null.cast(),
                null.cast(),
                0,
                std::ptr::null_mut(),
                0,
                std::ptr::null_mut()
            ),
            c::rtlog_status::RTLOG_ERR_INVALID_ARGUMENT
        );
        let mut m: c::rtlog_message_info = std::mem::zeroed();
        c::rtlog_message_info_init(&mut m, size_of::<c::rtlog_message_info>());
        assert_eq!(m.struct_size as usize, size_of::<c::rtlog_message_info>());
        let mut a: c::rtlog_message_arg = std::mem::zeroed();
        c::rtlog_message_arg_init(&mut a, size_of::<c::rtlog_message_arg>());
        assert_eq!(a.struct_size as usize, size_of::<c::rtlog_message_arg>());
        assert_eq!(
            c::rtlog_reader_message(null.cast(), null.cast(), &mut m),
            c::rtlog_status::RTLOG_ERR_INVALID_ARGUMENT
        );
        assert_eq!(
            c::rtlog_reader_message_arg(null.cast(), null.cast(), 0, &mut a),
            c::rtlog_status::RTLOG_ERR_INVALID_ARGUMENT
        );
    }
}

#[test]
fn testing_header_functions_link_to_the_library() {
    // rtlog_testing.h's declarations, called as bindgen read them (after rtlog.h, whose types
    // they use): a signature mismatch fails to compile, a missing symbol fails to link.
    use c::rtlog_status::{
        RTLOG_ERR_INVALID_ARGUMENT as INVALID, RTLOG_ERR_INVALID_STATE, RTLOG_OK,
    };
    let lg: *mut c::rtlog_logger = std::ptr::null_mut();
    // SAFETY: every call passes NULL or valid pointers, as the header documents.
    unsafe {
        assert_eq!(c::rtlog_dummy_fail_write(lg, 1, 5), INVALID);
        assert_eq!(c::rtlog_dummy_fail_sync(lg, 1, 5), INVALID);
        assert_eq!(c::rtlog_dummy_set_latency(lg, 0), INVALID);
        assert_eq!(c::rtlog_dummy_stall(lg, 0), INVALID);
        assert_eq!(c::rtlog_dummy_disk_full_at(lg, u64::MAX), INVALID);
        assert_eq!(c::rtlog_dummy_frame_count(lg), 0);
        let mut rec: c::rtlog_record = std::mem::zeroed();
        c::rtlog_record_init(&mut rec, size_of::<c::rtlog_record>());
        assert_eq!(c::rtlog_dummy_frame(lg, 0, &mut rec, std::ptr::null_mut(), 0), INVALID);

        // A logger with the dummy backend (no directory), and one without.
        let mut cfg: c::rtlog_config = std::mem::zeroed();
        c::rtlog_config_init(&mut cfg, size_of::<c::rtlog_config>());
        cfg.backend = c::rtlog_backend::RTLOG_BACKEND_DUMMY;
        cfg.manual = 1;
        let mut lg = std::ptr::null_mut();
        assert_eq!(c::rtlog_init(&cfg, &mut lg), RTLOG_OK);
        assert_eq!(c::rtlog_dummy_fail_write(lg, 2, 28), RTLOG_OK);
        assert_eq!(c::rtlog_start(lg), RTLOG_OK);
        assert!(c::rtlog_dummy_frame_count(lg) >= 1, "the epoch's first frame");
        let mut buf = [0u8; 64];
        let frame = c::rtlog_dummy_frame(lg, 0, &mut rec, buf.as_mut_ptr(), buf.len() as u32);
        assert_eq!(frame, RTLOG_OK);
        assert_eq!(rec.kind, c::rtlog_frame_kind::RTLOG_FRAME_EPOCH_BEGIN as u8);
        c::rtlog_destroy(lg);
        cfg.backend = c::rtlog_backend::RTLOG_BACKEND_NULL;
        assert_eq!(c::rtlog_init(&cfg, &mut lg), RTLOG_OK);
        assert_eq!(c::rtlog_dummy_stall(lg, 1), RTLOG_ERR_INVALID_STATE);
        c::rtlog_destroy(lg);
    }
}
