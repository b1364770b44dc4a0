//! The packed entry point (`Producer::publish_message_packed`, `rtlog_publish_message_packed`):
//! what the C macros call for a message without strings, with the values packed at compile
//! time. A message must read back the same, byte for byte, whichever entry point published
//! it, on both kinds of ring; and every call that does not match its call site is refused.

mod common;
use common::messages::{callsite, message_frames, Kinds, PACKED_MAX};
use common::*;
use rtlog::config::Overflow;
use rtlog::format::message::ArgType;
use rtlog::format::Level;
use rtlog::rt::message::CallSiteDesc;
use rtlog::{Config, Logger, Status};

/// Messages of the kit without strings (`i % 4` is 0 or 1), each published twice: through
/// `publish_message`, then through `publish_message_packed`.
const PAIRS: u64 = 200;

fn kit_index(n: u64) -> u64 {
    (n / 2) * 4 + n % 2
}

fn both_entry_points_write_the_same_frames(overflow: Overflow) {
    let dir = TempDir::new("messages-packed");
    let c = Config { manual: true, normal_overflow: overflow, ..config(&dir) };
    let (lg, ps) = start(c, &["p"]);
    let p = producer(ps[0]);
    let kit = Kinds::new();
    for n in 0..PAIRS {
        let (site, args) = kit.message(kit_index(n));
        let (values, len) = Kinds::packed(site, &args).expect("no strings");
        // SAFETY: the kit's call sites are leaked; its arguments have no strings.
        unsafe {
            assert_eq!(p.publish_message(site, &args), Status::Ok);
            assert_eq!(p.publish_message_packed(site, &values[..len]), Status::Ok);
        }
        lg.tick().unwrap();
        lg.step_writer().unwrap();
    }
    lg.shutdown().unwrap();

    let frames = message_frames(&dir.0);
    assert_eq!(frames.len() as u64, 2 * PAIRS);
    for (n, pair) in frames.chunks(2).enumerate() {
        assert_eq!(pair[0], pair[1], "message {n}: the two entry points differ");
        assert_eq!(pair[1].3, Kinds::expected_text(kit_index(n as u64)));
    }
}

#[test]
fn both_entry_points_write_the_same_frames_drop_newest() {
    both_entry_points_write_the_same_frames(Overflow::DropNewest);
}

#[test]
fn both_entry_points_write_the_same_frames_overwrite_oldest() {
    // The overwrite-oldest ring stores words atomically: the two-range copy has its own path.
    both_entry_points_write_the_same_frames(Overflow::OverwriteOldest);
}

/// A call site of `types` that lives as long as the program.
fn site_of(types: &[ArgType]) -> &'static CallSiteDesc {
    callsite(Level::Info, 7, c"packed", types)
}

#[test]
fn a_call_that_does_not_match_its_call_site_is_refused() {
    use ArgType::*;
    let dir = TempDir::new("messages-packed-refused");
    let c = Config { manual: true, max_record_size: 40, ..config(&dir) };
    let (lg, ps) = start(c, &["p"]);
    let p = producer(ps[0]);
    let values = [0u8; 2 * PACKED_MAX + 8];
    // SAFETY (every call below): the call sites are leaked, and `values` is readable.
    let publish = |p: &mut rtlog::Producer, site: &CallSiteDesc, len: usize| unsafe {
        p.publish_message_packed(site, &values[..len])
    };
    let u32_f64 = site_of(&[U32, F64]);
    assert_eq!(publish(p, u32_f64, 12), Status::Ok);
    // The producer remembers (site, length) pairs it checked: a wrong length is not one of them,
    // before or after the right one was accepted again.
    for wrong in [0, 11, 13, 16] {
        assert_eq!(publish(p, u32_f64, wrong), Status::InvalidArgument, "{wrong} bytes");
        assert_eq!(publish(p, u32_f64, 12), Status::Ok);
        assert_eq!(publish(p, u32_f64, wrong), Status::InvalidArgument, "{wrong} bytes");
    }
    // A string has no fixed size: strings go through `publish_message`.
    assert_eq!(publish(p, site_of(&[U32, Str]), 6), Status::InvalidArgument);
    // Codes that name no type, whatever size the caller claims.
    for code in [0u8, 15, 16, 200, 255] {
        let mut site = *u32_f64;
        site.arg_types[1] = code;
        let site: &'static CallSiteDesc = Box::leak(Box::new(site));
        for len in [4, 5, 12, 4 + 129, 4 + 256] {
            assert_eq!(publish(p, site, len), Status::InvalidArgument, "code {code}, {len} bytes");
        }
    }
    let mut too_many = *site_of(&[U8; 16]);
    too_many.arg_count = 17;
    assert_eq!(publish(p, Box::leak(Box::new(too_many)), 17), Status::InvalidArgument);
    let mut bad_level = *u32_f64;
    bad_level.level = 9;
    let bad_level: &'static CallSiteDesc = Box::leak(Box::new(bad_level));
    // 8 (call site) + 32 values fits in 40 bytes; 8 + 40 does not. A refused call site is not
    // remembered as checked: the second call is refused the same way.
    let too_large = site_of(&[U64; 5]);
    assert_eq!(publish(p, site_of(&[U64; 4]), 32), Status::Ok);
    for _ in 0..2 {
        assert_eq!(publish(p, bad_level, 12), Status::InvalidArgument);
    }
    for _ in 0..2 {
        assert_eq!(publish(p, too_large, 40), Status::TooLarge);
    }
    // Below the threshold: counted, not checked further, not published.
    let debug = callsite(Level::Debug, 8, c"quiet", &[U32]);
    assert_eq!(publish(p, debug, 4), Status::Ok);
    assert_eq!(p.filtered(), 1);
    assert_eq!(p.published(rtlog::Stream::Normal), 6);
    lg.tick().unwrap();
    lg.step_writer().unwrap();
    lg.shutdown().unwrap();
    assert_eq!(message_frames(&dir.0).len(), 6);
}

#[test]
fn the_c_entry_point_checks_its_pointers() {
    use rtlog::ffi::producer::rtlog_publish_message_packed as publish;
    use rtlog::ffi::rtlog_status::*;
    let dir = TempDir::new("messages-packed-ffi");
    let lg = Logger::init(Config { manual: true, ..config(&dir) }).unwrap();
    let p = lg.create_producer("p").unwrap().as_ptr();
    lg.start().unwrap();
    let site = (site_of(&[ArgType::U32]) as *const CallSiteDesc).cast();
    let none = (site_of(&[]) as *const CallSiteDesc).cast();
    let v = 7u32.to_le_bytes();
    // SAFETY: p is live and used by this thread only; the call sites are leaked; NULL
    // pointers are what is being checked.
    unsafe {
        assert_eq!(publish(p.cast(), site, v.as_ptr().cast(), 4), RTLOG_OK);
        assert_eq!(
            publish(std::ptr::null_mut(), site, v.as_ptr().cast(), 4),
            RTLOG_ERR_INVALID_ARGUMENT
        );
        assert_eq!(
            publish(p.cast(), std::ptr::null(), v.as_ptr().cast(), 4),
            RTLOG_ERR_INVALID_ARGUMENT
        );
        assert_eq!(publish(p.cast(), site, std::ptr::null(), 4), RTLOG_ERR_INVALID_ARGUMENT);
        assert_eq!(publish(p.cast(), none, std::ptr::null(), 0), RTLOG_OK);
        assert_eq!(publish(p.cast(), site, v.as_ptr().cast(), u32::MAX), RTLOG_ERR_TOO_LARGE);
    }
    lg.shutdown().unwrap();
}
