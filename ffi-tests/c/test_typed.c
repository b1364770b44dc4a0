/*
 * test_typed.c - typed records from C: registering record types with layouts, the layout
 * rules against the C compiler's own struct layout, the errors for bad layouts, and reading
 * the records back by field with rtlog_reader_schema and rtlog_reader_format.
 *
 * It also writes the "typed test log" to <base>/typed-log (kept after the test), which ctest
 * then checks field by field through `rtlog dump --json` (test typed_dump_c, running
 * typed_dump_of_an_external_log of cli/tests/cli_typed.rs; that file writes the same log with the
 * Rust API, and ffi-tests/cpp/test_cpp_typed.cpp with the C++ one: keep the three in step).
 *
 * Usage: test_typed [base-scratch-dir]
 */
#include "test_util.h"

#include <stdalign.h>
#include <stdbool.h>
#include <stddef.h>

/* ---- the three types: C structs and their layouts ------------------------------------- */

struct axis_state {
    uint32_t axis;
    double position;
    double velocity;
    bool enabled;
    char mode[16];
};
#define AXIS_LAYOUT "u32 axis; f64 position; f64 velocity; bool enabled; char[16] mode"

struct imu {
    int16_t accel[3];
    float gyro[3];
    uint64_t t_ns;
    int8_t temp_c;
};
#define IMU_LAYOUT "i16[3] accel; f32[3] gyro; u64 t_ns; i8 temp_c"

struct event {
    uint8_t code;
    int64_t value;
    uint16_t flags;
    char tag[5];
    double limits[2];
    int32_t delta;
};
#define EVENT_LAYOUT "u8 code; i64 value; u16 flags; char[5] tag; f64[2] limits; i32 delta"

enum { T_AXIS = 1, T_IMU = 2, T_EVENT = 300, T_UNTYPED = 9, N = 5 };
static const char *const MODES[N] = {"idle", "homing", "run", "fault", "stop"};

/* The C compiler's offset of every field, to compare with what the reader reports. */
struct expected_field {
    const char *name;
    size_t offset, size;
    rtlog_field_type type;
    uint32_t array_len;
};
#define F(S, M, T, N) {#M, offsetof(struct S, M), sizeof(((struct S *)0)->M), T, N}
static const struct expected_field AXIS_FIELDS[] = {
    F(axis_state, axis, RTLOG_FIELD_U32, 0),      F(axis_state, position, RTLOG_FIELD_F64, 0),
    F(axis_state, velocity, RTLOG_FIELD_F64, 0),  F(axis_state, enabled, RTLOG_FIELD_BOOL, 0),
    F(axis_state, mode, RTLOG_FIELD_CHAR, 16),
};
static const struct expected_field IMU_FIELDS[] = {
    F(imu, accel, RTLOG_FIELD_I16, 3), F(imu, gyro, RTLOG_FIELD_F32, 3),
    F(imu, t_ns, RTLOG_FIELD_U64, 0),  F(imu, temp_c, RTLOG_FIELD_I8, 0),
};
static const struct expected_field EVENT_FIELDS[] = {
    F(event, code, RTLOG_FIELD_U8, 0),      F(event, value, RTLOG_FIELD_I64, 0),
    F(event, flags, RTLOG_FIELD_U16, 0),    F(event, tag, RTLOG_FIELD_CHAR, 5),
    F(event, limits, RTLOG_FIELD_F64, 2),   F(event, delta, RTLOG_FIELD_I32, 0),
};
#undef F

static const struct {
    uint16_t id;
    const char *name, *layout;
    size_t size, align;
    const struct expected_field *fields;
    uint32_t field_count;
} TYPES[] = {
    {T_AXIS, "axis_state", AXIS_LAYOUT, sizeof(struct axis_state), alignof(struct axis_state),
     AXIS_FIELDS, 5},
    {T_IMU, "imu", IMU_LAYOUT, sizeof(struct imu), alignof(struct imu), IMU_FIELDS, 4},
    {T_EVENT, "event", EVENT_LAYOUT, sizeof(struct event), alignof(struct event), EVENT_FIELDS, 6},
};

/* ---- layouts: sizes agree with the compiler's; bad ones name their problem -------------- */

static void check_layout_sizes(void)
{
    for (size_t t = 0; t < 3; t++) {
        uint32_t size = 0;
        CHECK_STATUS(rtlog_layout_size(TYPES[t].layout, &size), RTLOG_OK);
        CHECK(size == TYPES[t].size, "%s: layout size %u, sizeof %zu", TYPES[t].name, size,
              TYPES[t].size);
    }
}

/* Each bad layout, and a piece of the text rtlog_last_error() must give for it. */
static const struct {
    const char *layout, *says;
} BAD_LAYOUTS[] = {
    {"", "empty layout"},
    {"   ", "empty layout"},
    {"u32 a;; u32 b", "field 2 is empty"},
    {"double x", "unknown type \"double\" (for double, write f64)"},
    {"int32_t x", "for int32_t, write i32"},
    {"u128 x", "unknown type \"u128\""},
    {"f64[0] x", "bad array length \"0\""},
    {"f64[70000] x", "bad array length \"70000\""},
    {"f64[two] x", "bad array length \"two\""},
    {"f64[3 x", "missing ']'"},
    {"f64[2][2] m", "only one array dimension"},
    {"char name", "char needs a length"},
    {"f64 pos[3]", "write the array length after the type: \"f64[3] pos\""},
    {"u32", "expected a field name"},
    {"u32 2fast", "bad field name \"2fast\""},
    {"u32 my-field", "unexpected \"-field\" after the field name"},
    {"u32 a, u32 b", "unexpected \", u32 b\""},
    {"u32 id; f64 x; u8 id", "duplicate field name \"id\" (fields 1 and 3)"},
    {"u8[65535] a; u8[65535] b; f64[65535] c; f64[65535] d", "more than the format's 1 MiB"},
};

static void check_bad_layouts(const char *dir)
{
    rtlog_config cfg;
    rtlog_config_init(&cfg, sizeof cfg);
    cfg.dir = dir;
    cfg.max_record_size = 64;
    rtlog_logger *lg = NULL;
    CHECK_STATUS(rtlog_init(&cfg, &lg), RTLOG_OK);
    size_t n = sizeof BAD_LAYOUTS / sizeof BAD_LAYOUTS[0];
    for (size_t i = 0; i < n; i++) {
        uint32_t size = 12345;
        CHECK_STATUS(rtlog_layout_size(BAD_LAYOUTS[i].layout, &size), RTLOG_ERR_CONFIG);
        CHECK(strstr(rtlog_last_error(), BAD_LAYOUTS[i].says) != NULL,
              "layout \"%s\": \"%s\" does not say \"%s\"", BAD_LAYOUTS[i].layout,
              rtlog_last_error(), BAD_LAYOUTS[i].says);
        CHECK(size == 12345, "size left alone on failure");
        CHECK_STATUS(rtlog_type_register(lg, 40, "bad", BAD_LAYOUTS[i].layout), RTLOG_ERR_CONFIG);
        CHECK(strstr(rtlog_last_error(), "type 40 \"bad\"") != NULL &&
                  strstr(rtlog_last_error(), BAD_LAYOUTS[i].says) != NULL,
              "register \"%s\": \"%s\"", BAD_LAYOUTS[i].layout, rtlog_last_error());
    }
    /* Registration errors beyond the layout. */
    CHECK_STATUS(rtlog_type_register(lg, 1, "axis_state", AXIS_LAYOUT), RTLOG_OK);
    static const struct {
        uint16_t id;
        const char *name, *layout, *says;
    } BAD_TYPES[] = {
        {1, "other", "u8 x", "type id 1 is already registered (as \"axis_state\")"},
        {2, "axis_state", "u8 x", "type name \"axis_state\" is already registered (type id 1)"},
        {2, "", "u8 x", "type name must be 1..=64 bytes"},
        {2, "has space", "u8 x", "bad type name \"has space\""},
        {2, "big", "u8[65] x", "is 65 bytes, more than max_record_size = 64"},
    };
    for (size_t i = 0; i < sizeof BAD_TYPES / sizeof BAD_TYPES[0]; i++) {
        CHECK_STATUS(rtlog_type_register(lg, BAD_TYPES[i].id, BAD_TYPES[i].name, BAD_TYPES[i].layout),
                     RTLOG_ERR_CONFIG);
        CHECK(strstr(rtlog_last_error(), BAD_TYPES[i].says) != NULL, "\"%s\" does not say \"%s\"",
              rtlog_last_error(), BAD_TYPES[i].says);
    }
    CHECK_STATUS(rtlog_type_register(lg, 2, "x", "\xff\xfe u8 x"), RTLOG_ERR_CONFIG);
    CHECK(strstr(rtlog_last_error(), "not valid UTF-8") != NULL, "%s", rtlog_last_error());
    CHECK_STATUS(rtlog_type_register(NULL, 2, "x", "u8 x"), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_type_register(lg, 2, NULL, "u8 x"), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_type_register(lg, 2, "x", NULL), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_layout_size(NULL, &(uint32_t){0}), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_layout_size("u8 x", NULL), RTLOG_ERR_INVALID_ARGUMENT);
    uint32_t size = 0;
    CHECK_STATUS(rtlog_type_size(lg, 1, &size), RTLOG_OK);
    CHECK(size == sizeof(struct axis_state), "type_size %u", size);
    CHECK_STATUS(rtlog_type_size(lg, 2, &size), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_type_size(NULL, 1, &size), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_start(lg), RTLOG_OK);
    CHECK_STATUS(rtlog_type_register(lg, 2, "late", "u8 x"), RTLOG_ERR_INVALID_STATE);
    CHECK_STATUS(rtlog_type_size(lg, 1, &size), RTLOG_OK);
    CHECK_STATUS(rtlog_shutdown(lg), RTLOG_OK);
    rtlog_destroy(lg);
}

/* ---- the typed test log ------------------------------------------------------------------ */

static void write_typed_log(const char *dir)
{
    rtlog_config cfg;
    rtlog_config_init(&cfg, sizeof cfg);
    cfg.dir = dir;
    cfg.durability = RTLOG_DURABILITY_FLUSH;
    rtlog_logger *lg = NULL;
    CHECK_STATUS(rtlog_init(&cfg, &lg), RTLOG_OK);
    rtlog_producer *p = NULL;
    CHECK_STATUS(rtlog_producer_create(lg, "ctl", &p), RTLOG_OK);
    for (size_t t = 0; t < 3; t++) {
        CHECK_STATUS(rtlog_type_register(lg, TYPES[t].id, TYPES[t].name, TYPES[t].layout), RTLOG_OK);
        uint32_t size = 0;
        CHECK_STATUS(rtlog_type_size(lg, TYPES[t].id, &size), RTLOG_OK);
        CHECK(size == TYPES[t].size, "%s: %u != sizeof %zu", TYPES[t].name, size, TYPES[t].size);
    }
    CHECK_STATUS(rtlog_start(lg), RTLOG_OK);
    for (int i = 0; i < N; i++) {
        /* Zeroed first, so padding bytes and string tails are zero. */
        struct axis_state a;
        memset(&a, 0, sizeof a);
        a.axis = (uint32_t)i;
        a.position = i * 0.125;
        a.velocity = 1.0 - i;
        a.enabled = i % 2 == 0;
        memcpy(a.mode, MODES[i], strlen(MODES[i])); /* NUL-padded by the memset */
        CHECK_STATUS(rtlog_publish(p, RTLOG_STREAM_NORMAL, T_AXIS, &a, sizeof a), RTLOG_OK);

        struct imu m;
        memset(&m, 0, sizeof m);
        m.accel[0] = (int16_t)i;
        m.accel[1] = (int16_t)-i;
        m.accel[2] = (int16_t)(1000 * i);
        m.gyro[0] = 0.5f * (float)i;
        m.gyro[1] = -0.25f;
        m.gyro[2] = (float)(1u << i);
        m.t_ns = UINT64_C(1000000000000000000) + (uint64_t)i;
        m.temp_c = (int8_t)(-40 + i);
        CHECK_STATUS(rtlog_publish(p, RTLOG_STREAM_NORMAL, T_IMU, &m, sizeof m), RTLOG_OK);

        struct event e;
        memset(&e, 0, sizeof e);
        e.code = (uint8_t)(200 + i);
        e.value = -(INT64_C(1) << 40) * (i + 1);
        e.flags = (uint16_t)(0xffff - i);
        if (i % 2 == 0)
            memcpy(e.tag, "ABCDE", 5); /* fills the array: no NUL */
        else
            memcpy(e.tag, "ok", 3);
        e.limits[0] = -1.5 * i;
        e.limits[1] = 1e300;
        e.delta = -i;
        CHECK_STATUS(rtlog_publish(p, RTLOG_STREAM_NORMAL, T_EVENT, &e, sizeof e), RTLOG_OK);
    }
    static const uint8_t untyped[3] = {1, 2, 3};
    CHECK_STATUS(rtlog_publish(p, RTLOG_STREAM_NORMAL, T_UNTYPED, untyped, 3), RTLOG_OK);
    /* Publishing does not check types: a wrong length is stored, and readers report it. */
    static const uint8_t short_axis[4] = {0xaa, 0xaa, 0xaa, 0xaa};
    CHECK_STATUS(rtlog_publish(p, RTLOG_STREAM_NORMAL, T_AXIS, short_axis, 4), RTLOG_OK);
    CHECK_STATUS(rtlog_shutdown(lg), RTLOG_OK);
    rtlog_destroy(lg);
}

/* ---- reading it back by field ------------------------------------------------------------ */

static void check_schema(const rtlog_type_info *info, size_t t)
{
    CHECK(info != NULL, "type %u has a schema", TYPES[t].id);
    CHECK(info->type == TYPES[t].id && strcmp(info->name, TYPES[t].name) == 0, "%s", info->name);
    CHECK(strcmp(info->layout, TYPES[t].layout) == 0, "canonical layout \"%s\"", info->layout);
    CHECK(info->size == TYPES[t].size && info->align == TYPES[t].align, "%s: size %u align %u",
          info->name, info->size, info->align);
    CHECK(info->field_count == TYPES[t].field_count, "%s: %u fields", info->name,
          info->field_count);
    /* Made by the library: its own sizeof, which the accessor's stride follows. */
    CHECK(info->struct_size == sizeof(rtlog_type_info), "%s: struct_size %u", info->name,
          (unsigned)info->struct_size);
    CHECK(rtlog_type_info_field(info, info->field_count) == NULL &&
              rtlog_type_info_field(info, UINT32_MAX) == NULL,
          "%s: rtlog_type_info_field past the last field is not NULL", info->name);
    for (uint32_t f = 0; f < info->field_count; f++) {
        const rtlog_field *got = rtlog_type_info_field(info, f);
        CHECK(got != NULL && got->struct_size == sizeof(rtlog_field) && got == &info->fields[f],
              "%s: field %u: struct_size %u", info->name, f, got ? (unsigned)got->struct_size : 0u);
        const struct expected_field *want = &TYPES[t].fields[f];
        CHECK(strcmp(got->name, want->name) == 0, "field %u is %s", f, got->name);
        CHECK(got->offset == want->offset, "%s.%s: offset %u, offsetof %zu", info->name,
              want->name, got->offset, want->offset);
        CHECK(got->size == want->size, "%s.%s: size %u, sizeof %zu", info->name, want->name,
              got->size, want->size);
        CHECK(got->type == want->type && got->array_len == want->array_len, "%s.%s: type %d[%u]",
              info->name, want->name, (int)got->type, got->array_len);
    }
}

static void read_typed_log(const char *dir)
{
    rtlog_reader *r = NULL;
    CHECK_STATUS(rtlog_reader_open(dir, &r), RTLOG_OK);
    const rtlog_type_info *info = (const rtlog_type_info *)1;
    CHECK_STATUS(rtlog_reader_schema(r, T_AXIS, &info), RTLOG_OK);
    CHECK(info == NULL, "no schema before the first record");
    const rtlog_type_info *first[3] = {NULL, NULL, NULL};
    rtlog_record rec;
    rtlog_record_init(&rec, sizeof rec);
    char buf[512];
    size_t len = 0;
    for (int i = 0; i < N; i++) {
        for (size_t t = 0; t < 3; t++) {
            CHECK_STATUS(rtlog_reader_next(r, &rec), RTLOG_OK);
            CHECK(rec.type == TYPES[t].id && rec.len == TYPES[t].size, "record %d.%zu", i, t);
            CHECK_STATUS(rtlog_reader_schema(r, rec.type, &info), RTLOG_OK);
            check_schema(info, t);
            if (first[t] == NULL)
                first[t] = info;
            CHECK(info == first[t], "the same type gives the same pointer");
            CHECK_STATUS(rtlog_reader_format(r, &rec, 0, buf, sizeof buf, &len), RTLOG_OK);
            CHECK(len == strlen(buf), "len %zu for \"%s\"", len, buf);
        }
    }
    /* Decoding by hand, as a C tool would: the position of the last axis_state record is the
     * f64 at the offset the schema gives. */
    rtlog_reader_close(r);
    CHECK_STATUS(rtlog_reader_open(dir, &r), RTLOG_OK);
    CHECK_STATUS(rtlog_reader_next(r, &rec), RTLOG_OK); /* axis_state 0 */
    for (int k = 0; k < 3; k++)
        CHECK_STATUS(rtlog_reader_next(r, &rec), RTLOG_OK); /* ... axis_state 1 */
    CHECK_STATUS(rtlog_reader_schema(r, rec.type, &info), RTLOG_OK);
    double position = 0;
    memcpy(&position, (const char *)rec.payload + rtlog_type_info_field(info, 1)->offset, sizeof position);
    CHECK(position == 0.125, "position %g", position);

    CHECK_STATUS(rtlog_reader_format(r, &rec, 0, buf, sizeof buf, &len), RTLOG_OK);
    const char *text =
        "axis_state{axis=1 position=0.125 velocity=0 enabled=false mode=\"homing\"}";
    CHECK(strcmp(buf, text) == 0, "text \"%s\"", buf);
    CHECK_STATUS(rtlog_reader_format(r, &rec, 1, buf, sizeof buf, &len), RTLOG_OK);
    const char *json =
        "{\"axis\":1,\"position\":0.125,\"velocity\":0,\"enabled\":false,\"mode\":\"homing\"}";
    CHECK(strcmp(buf, json) == 0, "json \"%s\"", buf);
    /* Too small: TOO_LARGE, the length needed, and an empty string. */
    CHECK_STATUS(rtlog_reader_format(r, &rec, 0, buf, 10, &len), RTLOG_ERR_TOO_LARGE);
    CHECK(len == strlen(text) && buf[0] == '\0', "len %zu", len);
    CHECK_STATUS(rtlog_reader_format(r, &rec, 0, NULL, 0, &len), RTLOG_ERR_TOO_LARGE);
    CHECK(len == strlen(text), "a size query gives the length");
    CHECK_STATUS(rtlog_reader_format(r, &rec, 0, buf, strlen(text) + 1, NULL), RTLOG_OK);
    CHECK_STATUS(rtlog_reader_format(r, &rec, 2, buf, sizeof buf, &len),
                 RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_reader_format(r, &rec, 0, NULL, 5, &len), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_reader_format(NULL, &rec, 0, buf, sizeof buf, &len),
                 RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_reader_schema(r, T_AXIS, NULL), RTLOG_ERR_INVALID_ARGUMENT);

    /* Frames of other kinds have no type. */
    rtlog_reader *frames = NULL;
    CHECK_STATUS(rtlog_reader_open(dir, &frames), RTLOG_OK);
    CHECK_STATUS(rtlog_reader_next_frame(frames, &rec), RTLOG_OK);
    CHECK(rec.kind == RTLOG_FRAME_EPOCH_BEGIN, "kind %u", rec.kind);
    CHECK_STATUS(rtlog_reader_format(frames, &rec, 0, buf, sizeof buf, &len),
                 RTLOG_ERR_INVALID_ARGUMENT);
    CHECK(strstr(rtlog_last_error(), "only data records and messages have a text") != NULL, "%s",
          rtlog_last_error());
    rtlog_reader_close(frames);

    /* The untyped record has no schema; the short one has the wrong size. */
    while (rtlog_reader_next(r, &rec) == RTLOG_OK && rec.type != T_UNTYPED) {
    }
    CHECK(rec.type == T_UNTYPED && rec.len == 3, "the untyped record");
    CHECK_STATUS(rtlog_reader_schema(r, rec.type, &info), RTLOG_OK);
    CHECK(info == NULL, "no schema for an unregistered type");
    CHECK_STATUS(rtlog_reader_format(r, &rec, 0, buf, sizeof buf, &len), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK(strstr(rtlog_last_error(), "record type 9 has no schema") != NULL, "%s",
          rtlog_last_error());
    CHECK_STATUS(rtlog_reader_next(r, &rec), RTLOG_OK);
    CHECK(rec.type == T_AXIS && rec.len == 4, "the short record");
    CHECK_STATUS(rtlog_reader_format(r, &rec, 1, buf, sizeof buf, &len), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK(strstr(rtlog_last_error(), "the record is 4 bytes, but type 1 \"axis_state\" is 48") != NULL,
          "%s", rtlog_last_error());
    CHECK_STATUS(rtlog_reader_next(r, &rec), RTLOG_END);
    rtlog_reader_close(r);
}

int main(int argc, char **argv)
{
    tu_init(argc, argv);
    check_layout_sizes();
    check_bad_layouts(tu_fresh_dir("bad-layouts"));

    /* A fixed name under the base, kept for the CLI check (test typed_dump_c). */
    const char *log = tu_kept_path("typed-log");
    write_typed_log(log);
    read_typed_log(log);

    tu_cleanup();
    printf("test_typed ok\n");
    return 0;
}
