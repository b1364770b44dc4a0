//! The words entry point (`Producer::publish_message_words`, `rtlog_publish_message_words`):
//! what the C and C++ macros call for a message of at most four arguments and no string, the
//! arguments' bits passed in registers. A message must read back the same, byte for byte, as
//! through `publish_message`, on both kinds of ring and when its words do not fit in a slot;
//! and every call that its call site does not allow is refused.

mod common;
use common::messages::{arg_f, arg_i, arg_p, arg_u, callsite, message_frames};
use common::*;
use rtlog::config::Overflow;
use rtlog::format::message::ArgType;
use rtlog::format::Level;
use rtlog::rt::message::{CallSiteDesc, RawArg, WORDS};
use rtlog::{Config, Logger, Status};

/// Argument `a` of type `t` as the macros pass it in a word.
fn word_of(t: ArgType, a: &RawArg) -> u64 {
    use ArgType::*;
    // SAFETY: the member read is the one the test set for the type.
    unsafe {
        match t {
            I8 | I16 | I32 | I64 => a.value.i as u64,
            F32 => u64::from((a.value.f as f32).to_bits()),
            F64 => a.value.f.to_bits(),
            Ptr => a.value.p as u64,
            _ => a.value.u,
        }
    }
}

/// The words of `args` for a call site of `types`, the unused ones set to `fill`.
fn words_of(types: &[ArgType], args: &[RawArg], fill: u64) -> [u64; WORDS] {
    let mut w = [fill; WORDS];
    for (i, (&t, a)) in types.iter().zip(args).enumerate() {
        w[i] = word_of(t, a);
    }
    w
}

/// Call sites of at most four arguments covering every fixed-size type, with arguments at the
/// edges of their ranges (negative values, whose words are sign-extended), and an ERROR one
/// for the critical stream.
fn cases() -> Vec<(&'static CallSiteDesc, Vec<ArgType>, Vec<RawArg>)> {
    use ArgType::*;
    let nul = c"".as_ptr().cast::<u8>();
    let mut out = Vec::new();
    let mut case = |level, format, types: Vec<ArgType>, args: Vec<RawArg>| {
        out.push((callsite(level, 1 + out.len() as u32, format, &types), types, args));
    };
    case(Level::Info, c"no arguments", vec![], vec![]);
    case(
        Level::Info,
        c"joint %u pos %.3f vel %.3f cycle %llu",
        vec![U32, F64, F64, U64],
        vec![arg_u(5), arg_f(0.125), arg_f(-1.28), arg_u(u64::MAX)],
    );
    case(
        Level::Warn,
        c"%hhd %hd %d %lld",
        vec![I8, I16, I32, I64],
        vec![arg_i(-128), arg_i(-32768), arg_i(-7), arg_i(i64::MIN)],
    );
    case(
        Level::Info,
        c"%hhu %hu %c %d",
        vec![U8, U16, Char, Bool],
        vec![arg_u(255), arg_u(65535), arg_u(u64::from(b'z')), arg_u(1)],
    );
    case(
        Level::Error,
        c"%f %p %lld",
        vec![F32, Ptr, I64],
        vec![arg_f(2.5), arg_p(nul, 0), arg_i(-1)],
    );
    case(Level::Fatal, c"%p", vec![Ptr], vec![arg_p(std::ptr::null(), 0)]);
    out
}

fn words_and_descriptors_write_the_same_frames(overflow: Overflow, max_record_size: u32) {
    let dir = TempDir::new("messages-words");
    let c = Config { manual: true, normal_overflow: overflow, max_record_size, ..config(&dir) };
    let (lg, ps) = start(c, &["p"]);
    let p = producer(ps[0]);
    let cases = cases();
    for round in 0..3 {
        for (site, types, args) in &cases {
            // The words past the call site's arguments are ignored, whatever they hold.
            let fill = [0, u64::MAX, 0x5555_5555_5555_5555][round];
            // SAFETY: the call sites are leaked; the arguments have no strings.
            unsafe {
                assert_eq!(p.publish_message(site, args), Status::Ok);
                let words = words_of(types, args, fill);
                assert_eq!(p.publish_message_words(site, words), Status::Ok);
            }
        }
        lg.tick().unwrap();
        lg.step_writer().unwrap();
    }
    lg.shutdown().unwrap();

    let frames = message_frames(&dir.0);
    assert_eq!(frames.len(), 2 * 3 * cases.len());
    assert_pairs_equal(&frames);
    assert!(frames.iter().any(|f| f.3.contains("joint 5 pos 0.125 vel -1.280")), "{frames:?}");
    let critical = frames.iter().filter(|f| f.2 == rtlog::Stream::Critical as u8).count();
    assert_eq!(critical, 2 * 3 * 2, "ERROR and FATAL go on the critical stream");
}

/// Each message published twice in a row (descriptors, then words) reads back the same. Within
/// a stream the log keeps the order of publishing; the critical stream is moved first, so the
/// two streams are paired apart.
fn assert_pairs_equal(frames: &[(Vec<u8>, Level, u8, String)]) {
    for stream in [rtlog::Stream::Normal as u8, rtlog::Stream::Critical as u8] {
        let of_stream: Vec<_> = frames.iter().filter(|f| f.2 == stream).collect();
        assert_eq!(of_stream.len() % 2, 0);
        for (n, pair) in of_stream.chunks(2).enumerate() {
            assert_eq!(pair[0], pair[1], "stream {stream}, message {n}: the entry points differ");
        }
    }
}

#[test]
fn words_and_descriptors_write_the_same_frames_drop_newest() {
    words_and_descriptors_write_the_same_frames(Overflow::DropNewest, 256);
}

#[test]
fn words_and_descriptors_write_the_same_frames_overwrite_oldest() {
    // The overwrite-oldest ring stores words atomically: the words' copy has its own path.
    words_and_descriptors_write_the_same_frames(Overflow::OverwriteOldest, 256);
}

#[test]
fn words_that_do_not_fit_a_slot_are_packed() {
    // 8 bytes of call site + 4 words do not fit in 32 bytes; every case's packed values do
    // (the widest: 8 + 8 + 8 + 8 + 4 = 36 > 32, so it goes through TooLarge below, not here).
    let dir = TempDir::new("messages-words-small");
    let c = Config { manual: true, max_record_size: 32, ..config(&dir) };
    let (lg, ps) = start(c, &["p"]);
    let p = producer(ps[0]);
    let mut published = 0;
    for (site, types, args) in cases() {
        let packed: usize = types.iter().map(|t| t.fixed_size()).sum();
        // SAFETY: the call sites are leaked; the arguments have no strings.
        let (a, b) = unsafe {
            (
                p.publish_message(site, &args),
                p.publish_message_words(site, words_of(&types, &args, 0)),
            )
        };
        let want = if 8 + packed <= 32 { Status::Ok } else { Status::TooLarge };
        assert_eq!((a, b), (want, want), "{types:?}");
        published += 2 * usize::from(want == Status::Ok);
    }
    lg.tick().unwrap();
    lg.step_writer().unwrap();
    lg.shutdown().unwrap();
    let frames = message_frames(&dir.0);
    assert_eq!(frames.len(), published);
    assert_pairs_equal(&frames);
}

/// A call site of `types` that lives as long as the program.
fn site_of(types: &[ArgType]) -> &'static CallSiteDesc {
    callsite(Level::Info, 7, c"words", types)
}

#[test]
fn a_call_site_the_words_cannot_carry_is_refused() {
    use ArgType::*;
    let dir = TempDir::new("messages-words-refused");
    let (lg, ps) = start(Config { manual: true, ..config(&dir) }, &["p"]);
    let p = producer(ps[0]);
    // SAFETY (every call below): the call sites are leaked.
    let publish = |p: &mut rtlog::Producer, site: &CallSiteDesc| unsafe {
        p.publish_message_words(site, [1, 2, 3, 4])
    };
    let four = site_of(&[U64; 4]);
    assert_eq!(publish(p, four), Status::Ok);
    // Five arguments, although the packed path took (and remembered) this call site.
    let five = site_of(&[U64; 5]);
    // SAFETY: the call site is leaked; the values are readable.
    assert_eq!(unsafe { p.publish_message_packed(five, &[0u8; 40]) }, Status::Ok);
    for _ in 0..2 {
        assert_eq!(publish(p, five), Status::InvalidArgument);
    }
    // A string has no word: strings go through `publish_message`.
    assert_eq!(publish(p, site_of(&[U32, Str])), Status::InvalidArgument);
    // Codes that name no type, and a level that is none.
    for code in [0u8, 15, 16, 200, 255] {
        let mut site = *four;
        site.arg_types[1] = code;
        assert_eq!(publish(p, Box::leak(Box::new(site))), Status::InvalidArgument, "code {code}");
    }
    let mut bad_level = *four;
    bad_level.level = 9;
    let bad_level: &'static CallSiteDesc = Box::leak(Box::new(bad_level));
    for _ in 0..2 {
        assert_eq!(publish(p, bad_level), Status::InvalidArgument);
    }
    // A site checked for words is still checked for the packed path: 32 bytes, not 40.
    // SAFETY: the call site is leaked; the values are readable.
    assert_eq!(unsafe { p.publish_message_packed(four, &[0u8; 40]) }, Status::InvalidArgument);
    // Below the threshold: counted, not checked further, not published.
    let debug = callsite(Level::Debug, 8, c"quiet", &[U32; 5]);
    assert_eq!(publish(p, debug), Status::Ok);
    assert_eq!(p.filtered(), 1);
    assert_eq!(p.published(rtlog::Stream::Normal), 2);
    lg.tick().unwrap();
    lg.step_writer().unwrap();
    lg.shutdown().unwrap();
    assert_eq!(message_frames(&dir.0).len(), 2);
}

#[test]
fn the_c_entry_point_checks_its_pointers() {
    use rtlog::ffi::producer::rtlog_publish_message_words as publish;
    use rtlog::ffi::rtlog_status::*;
    let dir = TempDir::new("messages-words-ffi");
    let lg = Logger::init(Config { manual: true, ..config(&dir) }).unwrap();
    let p = lg.create_producer("p").unwrap().as_ptr();
    let site = (site_of(&[ArgType::U32]) as *const CallSiteDesc).cast();
    // SAFETY: p is live and used by this thread only; the call site is leaked; NULL pointers
    // are what is being checked.
    unsafe {
        assert_eq!(publish(p.cast(), site, 7, 0, 0, 0), RTLOG_ERR_INVALID_STATE, "before start");
        lg.start().unwrap();
        assert_eq!(publish(p.cast(), site, 7, 0, 0, 0), RTLOG_OK);
        assert_eq!(publish(std::ptr::null_mut(), site, 7, 0, 0, 0), RTLOG_ERR_INVALID_ARGUMENT);
        assert_eq!(publish(p.cast(), std::ptr::null(), 7, 0, 0, 0), RTLOG_ERR_INVALID_ARGUMENT);
    }
    lg.shutdown().unwrap();
}
