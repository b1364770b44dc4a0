//! The DLT sink without a daemon: the test plays the daemon's side of the FIFO (creates it,
//! holds the read end or not) and decodes every byte the sink writes. Manual mode: the sink is
//! stepped by `step_writer`, so queue contents and counters are exact at every point. The real
//! daemon is in ffi-tests/dlt/test_dlt.c (ctest label `dlt`).

mod common;
use common::*;
use rtlog::backend::BackendKind;
use rtlog::dlt::protocol::Level;
use rtlog::dlt::{DltConfig, DltStats};
use rtlog::format::message::ArgType;
use rtlog::rt::message::{ArgBits, CallSiteDesc, RawArg};
use rtlog::{Config, Logger, Status, Stream};
use std::ffi::CString;
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

/// One message as the daemon would parse it from the FIFO.
#[derive(Debug, PartialEq)]
enum Msg {
    RegisterApp { apid: [u8; 4], description: String },
    RegisterContext { apid: [u8; 4], ctid: [u8; 4], pos: i32, description: String },
    UnregisterContext { ctid: [u8; 4] },
    UnregisterApp,
    Log { apid: [u8; 4], ctid: [u8; 4], msin: u8, noar: u8, payload: Vec<u8> },
}

fn u32_ne(b: &[u8]) -> u32 {
    u32::from_ne_bytes(b[..4].try_into().unwrap())
}

/// Decodes user messages; panics on anything the daemon would not accept.
fn decode(mut b: &[u8]) -> Vec<Msg> {
    let mut out = Vec::new();
    let id = |b: &[u8]| -> [u8; 4] { b[..4].try_into().unwrap() };
    while !b.is_empty() {
        assert_eq!(&b[..4], b"DUH\x01", "user header pattern");
        let kind = u32_ne(&b[4..]);
        let body = &b[8..];
        let (msg, used) = match kind {
            2 => {
                let n = u32_ne(&body[8..]) as usize;
                let d = String::from_utf8(body[12..12 + n].to_vec()).unwrap();
                (Msg::RegisterApp { apid: id(body), description: d }, 12 + n)
            }
            4 => {
                let pos = i32::from_ne_bytes(body[8..12].try_into().unwrap());
                assert_eq!(&body[12..14], &[0xfe, 0xfe], "log level and trace status not set");
                let n = u32_ne(&body[18..]) as usize;
                let d = String::from_utf8(body[22..22 + n].to_vec()).unwrap();
                let m = Msg::RegisterContext {
                    apid: id(body),
                    ctid: id(&body[4..]),
                    pos,
                    description: d,
                };
                (m, 22 + n)
            }
            5 => (Msg::UnregisterContext { ctid: id(&body[4..]) }, 12),
            3 => (Msg::UnregisterApp, 8),
            1 => {
                let len = u16::from_be_bytes([body[2], body[3]]) as usize;
                assert_eq!(body[0], 0x3d, "htyp");
                assert_eq!(&body[4..8], b"ECU1");
                assert_eq!(u32::from_be_bytes(body[8..12].try_into().unwrap()), std::process::id());
                let m = Msg::Log {
                    msin: body[16],
                    noar: body[17],
                    apid: id(&body[18..]),
                    ctid: id(&body[22..]),
                    payload: body[26..len].to_vec(),
                };
                (m, len)
            }
            k => panic!("unexpected user message type {k}"),
        };
        out.push(msg);
        b = &body[used..];
    }
    out
}

fn mkfifo(path: &Path) {
    let c = CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
}

/// The daemon's end of the FIFO.
fn open_reader(path: &Path) -> std::fs::File {
    std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(path).unwrap()
}

/// The daemon's FIFO in `dir`, its read end open, and a manual-mode configuration around it
/// (the caller enables DLT).
fn listening(dir: &TempDir) -> (std::fs::File, Config) {
    std::fs::create_dir_all(&dir.0).unwrap();
    let fifo = dir.0.join("dlt");
    mkfifo(&fifo);
    let c = Config { backend: BackendKind::Dummy, manual: true, ..Config::default() };
    (open_reader(&fifo), c)
}

fn read_all(r: &mut std::fs::File) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 65536];
    loop {
        match r.read(&mut buf) {
            Ok(0) => return out,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return out,
            Err(e) => panic!("{e}"),
        }
    }
}

fn logger(dir: &TempDir, queue: u32, max_record_size: u32) -> Logger {
    std::fs::create_dir_all(&dir.0).unwrap();
    Logger::init(Config {
        backend: BackendKind::Dummy,
        manual: true,
        max_record_size,
        dlt: DltConfig {
            enable: true,
            app_id: "TST".into(),
            pipe_dir: dir.0.clone(),
            queue_records: queue,
            level_critical: Level::Fatal,
            level_normal: Level::Verbose,
        },
        ..Config::default()
    })
    .unwrap()
}

/// Steps writer and sink until `done` holds (real time passes: reconnection backs off).
fn step_until(lg: &Logger, what: &str, done: impl Fn(&DltStats) -> bool) -> DltStats {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        lg.step_writer().unwrap();
        let s = lg.dlt_stats();
        if done(&s) {
            return s;
        }
        assert!(Instant::now() < deadline, "{what}: {s:?}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn nonverbose(msgid: u32, payload: &[u8]) -> Vec<u8> {
    let mut p = msgid.to_le_bytes().to_vec();
    p.extend_from_slice(payload);
    p
}

fn publish(lg: &Logger, p: &mut rtlog::Producer, stream: Stream, ty: u16, payload: &[u8]) {
    assert_eq!(p.publish(stream, ty, payload), Status::Ok);
    lg.tick().unwrap();
}

#[test]
fn registers_queues_while_away_reconnects_and_marks_the_overflow() {
    let dir = TempDir::new("dlt-sink");
    let lg = logger(&dir, 4, 64);
    let fifo = dir.0.join("dlt");
    let a = producer(lg.create_producer("alpha_a").unwrap());
    let b = producer(lg.create_producer("alpha_b").unwrap());
    lg.start().unwrap();
    // No FIFO yet: the start's attempt failed, nothing blocks, nothing is lost yet.
    let s = lg.dlt_stats();
    assert!(s.enabled && !s.connected && s.connects == 0, "{s:?}");
    assert_eq!(s.last_errno, libc::ENOENT);

    // Away: 4 records wait in the queue, the next 3 are lost (2 of a's normal stream, 1 of b's).
    for i in 0..4u8 {
        publish(&lg, a, Stream::Normal, 10 + u16::from(i), &[i; 3]);
    }
    publish(&lg, a, Stream::Normal, 20, b"lost1");
    publish(&lg, b, Stream::Critical, 21, b"lost2");
    publish(&lg, a, Stream::Normal, 22, b"lost3");
    lg.step_writer().unwrap();
    let s = lg.dlt_stats();
    assert_eq!((s.offered, s.queued, s.lost, s.lost_queue_full, s.sent), (7, 4, 3, 3, 0), "{s:?}");

    // The daemon arrives: connect (after the backoff), register, send the queue.
    mkfifo(&fifo);
    let mut reader = open_reader(&fifo);
    let s = step_until(&lg, "reconnect", |s| s.connected && s.queued == 0);
    assert_eq!((s.connects, s.reconnects, s.sent), (1, 0, 4));
    // The next record of each stream that lost some carries a marker in front.
    publish(&lg, a, Stream::Normal, 30, b"after");
    publish(&lg, b, Stream::Critical, 31, b"after");
    publish(&lg, b, Stream::Normal, 32, b""); // no loss on this stream: no marker
    step_until(&lg, "after", |s| s.sent == 7);
    let msgs = decode(&read_all(&mut reader));

    let app = *b"TST\0";
    let (ca, cb) = (*b"ALPH", *b"ALP1");
    let mut want = vec![
        Msg::RegisterApp { apid: app, description: "rtlog".into() },
        Msg::RegisterContext { apid: app, ctid: ca, pos: 0, description: "alpha_a".into() },
        Msg::RegisterContext { apid: app, ctid: cb, pos: 1, description: "alpha_b".into() },
    ];
    let verbose_level = (Level::Verbose as u8) << 4;
    for i in 0..4u8 {
        let payload = nonverbose(10 + u32::from(i), &[i; 3]);
        want.push(Msg::Log { apid: app, ctid: ca, msin: verbose_level, noar: 0, payload });
    }
    let marker = |ctid, count: u64, first: u64, last: u64| {
        let text = b"rtlog records lost: dlt queue full\0";
        let mut p = 0x200u32.to_le_bytes().to_vec();
        p.extend_from_slice(&(text.len() as u16).to_le_bytes());
        p.extend_from_slice(text);
        for v in [count, first, last] {
            p.extend_from_slice(&0x44u32.to_le_bytes());
            p.extend_from_slice(&v.to_le_bytes());
        }
        Msg::Log { apid: app, ctid, msin: (3 << 4) | 1, noar: 4, payload: p }
    };
    want.push(marker(ca, 2, 4, 5));
    want.push(Msg::Log {
        apid: app,
        ctid: ca,
        msin: verbose_level,
        noar: 0,
        payload: nonverbose(30, b"after"),
    });
    want.push(marker(cb, 1, 0, 0));
    let fatal = (Level::Fatal as u8) << 4;
    want.push(Msg::Log {
        apid: app,
        ctid: cb,
        msin: fatal,
        noar: 0,
        payload: nonverbose(31, b"after"),
    });
    want.push(Msg::Log {
        apid: app,
        ctid: cb,
        msin: verbose_level,
        noar: 0,
        payload: nonverbose(32, b""),
    });
    assert_eq!(msgs, want);

    // The daemon goes away and comes back: the sink notices, reconnects and registers again.
    drop(reader);
    step_until(&lg, "disconnect", |s| !s.connected && s.disconnects == 1);
    let mut reader = open_reader(&fifo);
    publish(&lg, a, Stream::Critical, 40, b"again");
    let s = step_until(&lg, "second connection", |s| s.sent == 8);
    assert_eq!((s.connects, s.reconnects), (2, 1));
    let msgs = decode(&read_all(&mut reader));
    assert_eq!(msgs.len(), 4, "{msgs:?}");
    assert!(matches!(msgs[0], Msg::RegisterApp { .. }));
    assert!(matches!(&msgs[3], Msg::Log { payload, .. } if payload == &nonverbose(40, b"again")));

    // Shutdown: the application and its contexts are unregistered; the counts add up.
    lg.shutdown().unwrap();
    let msgs = decode(&read_all(&mut reader));
    assert_eq!(
        msgs,
        vec![
            Msg::UnregisterContext { ctid: ca },
            Msg::UnregisterContext { ctid: cb },
            Msg::UnregisterApp
        ]
    );
    let s = lg.dlt_stats();
    assert_eq!((s.offered, s.sent, s.queued, s.lost, s.loss_markers), (11, 8, 0, 3, 2), "{s:?}");
}

#[test]
fn too_large_records_trailing_losses_and_shutdown_while_away_are_counted() {
    let dir = TempDir::new("dlt-sink-large");
    let lg = logger(&dir, 2, 8192);
    let fifo = dir.0.join("dlt");
    mkfifo(&fifo);
    let mut reader = open_reader(&fifo);
    let p = producer(lg.create_producer("big").unwrap());
    lg.start().unwrap();
    assert!(lg.dlt_stats().connected, "rtlog_start connects when the daemon is there");
    let limit = rtlog::dlt::MAX_DLT_PAYLOAD;
    publish(&lg, p, Stream::Normal, 1, &vec![1u8; limit]);
    publish(&lg, p, Stream::Normal, 2, &vec![2u8; limit + 1]);
    step_until(&lg, "largest record", |s| s.sent == 1 && s.lost_too_large == 1);
    let msgs = decode(&read_all(&mut reader));
    assert!(matches!(&msgs[2], Msg::Log { payload, .. } if payload.len() == 4 + limit));
    drop(reader);
    step_until(&lg, "disconnect", |s| !s.connected);
    // Away: two queued, one lost to the full queue; nothing comes back before shutdown, so the
    // queued ones are lost at shutdown (after the drain's bounded wait).
    for i in 0..3u8 {
        publish(&lg, p, Stream::Normal, 3, &[i]);
    }
    lg.step_writer().unwrap();
    let started = Instant::now();
    lg.shutdown().unwrap();
    assert!(started.elapsed() < rtlog::dlt::DRAIN_TIMEOUT + Duration::from_secs(10));
    let s = lg.dlt_stats();
    assert_eq!(
        (s.offered, s.sent, s.queued, s.lost_too_large, s.lost_queue_full, s.lost_at_shutdown),
        (5, 1, 0, 1, 1, 2),
        "{s:?}"
    );
    assert_eq!(s.lost, 4);
}

#[test]
fn config_is_checked_only_when_enabled() {
    let mut c = Config::new("/tmp/unused");
    c.dlt.app_id = "TOOLONG".into();
    c.validate().unwrap();
    c.dlt.enable = true;
    let e = c.validate().unwrap_err();
    assert!(e.message.contains("dlt_app_id"), "{}", e.message);
    c.dlt.app_id = "OK".into();
    c.dlt.queue_records = 0;
    assert!(c.validate().unwrap_err().message.contains("dlt_queue_records"));
}

#[test]
fn a_loss_no_later_record_reported_gets_its_marker_at_shutdown() {
    let dir = TempDir::new("dlt-sink-trailing");
    let lg = logger(&dir, 8, 8192);
    let fifo = dir.0.join("dlt");
    mkfifo(&fifo);
    let mut reader = open_reader(&fifo);
    let p = producer(lg.create_producer("tail").unwrap());
    lg.start().unwrap();
    publish(&lg, p, Stream::Critical, 7, b"kept");
    publish(&lg, p, Stream::Critical, 8, &vec![0u8; rtlog::dlt::MAX_DLT_PAYLOAD + 1]);
    lg.shutdown().unwrap();
    let msgs = decode(&read_all(&mut reader));
    // register app, register context, the kept record, the trailing marker, unregistrations
    assert_eq!(msgs.len(), 6, "{msgs:?}");
    let Msg::Log { msin, noar, payload, .. } = &msgs[3] else { panic!("{:?}", msgs[3]) };
    assert_eq!((*msin, *noar), ((3 << 4) | 1, 4));
    let text = b"rtlog records lost: too large for dlt\0";
    assert_eq!(&payload[6..6 + text.len()], text);
    let seqs: Vec<u64> = (0..3)
        .map(|i| {
            let at = 6 + text.len() + 12 * i + 4;
            u64::from_le_bytes(payload[at..at + 8].try_into().unwrap())
        })
        .collect();
    assert_eq!(seqs, [1, 1, 1], "count 1, seq 1..=1");
    let s = lg.dlt_stats();
    assert_eq!((s.sent, s.lost_too_large, s.loss_markers, s.queued), (1, 1, 1, 0), "{s:?}");
}

#[test]
fn a_stream_at_level_off_is_not_forwarded() {
    let dir = TempDir::new("dlt-sink-off");
    let (mut reader, mut c) = listening(&dir);
    c.dlt = DltConfig { enable: true, pipe_dir: dir.0.clone(), level_normal: Level::Off, ..c.dlt };
    let lg = Logger::init(c).unwrap();
    let p = producer(lg.create_producer("p").unwrap());
    lg.start().unwrap();
    publish(&lg, p, Stream::Normal, 1, b"not for dlt");
    publish(&lg, p, Stream::Critical, 2, b"for dlt");
    let s = step_until(&lg, "critical record", |s| s.sent == 1);
    assert_eq!(s.offered, 1, "{s:?}");
    let msgs = decode(&read_all(&mut reader));
    assert_eq!(msgs.len(), 3, "{msgs:?}");
    let error = (Level::Error as u8) << 4;
    assert!(matches!(&msgs[2], Msg::Log { msin, payload, .. }
        if *msin == error && payload == &nonverbose(2, b"for dlt")));
    lg.shutdown().unwrap();
}

/// A static call site (leaked: call sites outlive the logger).
fn call_site(
    level: rtlog::format::Level,
    format: &str,
    types: &[ArgType],
) -> &'static CallSiteDesc {
    let text = |s: &str| Box::leak(CString::new(s).unwrap().into_boxed_c_str()).as_ptr().cast();
    let mut arg_types = [0u8; 16];
    for (t, &a) in arg_types.iter_mut().zip(types) {
        *t = a as u8;
    }
    Box::leak(Box::new(CallSiteDesc {
        struct_size: std::mem::size_of::<CallSiteDesc>() as u32,
        line: 42,
        level: level as u8,
        arg_count: types.len() as u8,
        arg_types,
        format: text(format),
        file: text("sink.c"),
        function: text("control"),
    }))
}

fn log(lg: &Logger, p: &mut rtlog::Producer, site: &'static CallSiteDesc, args: &[RawArg]) {
    // SAFETY: the call site is static and every string argument is valid for its length.
    assert_eq!(unsafe { p.publish_message(site, args) }, Status::Ok);
    lg.tick().unwrap();
}

fn u(v: u64) -> RawArg {
    RawArg { value: ArgBits { u: v }, length: 0 }
}

fn s(text: &'static [u8]) -> RawArg {
    RawArg { value: ArgBits { p: text.as_ptr() }, length: text.len() as u64 }
}

/// A verbose string argument's bytes (UTF-8 coding).
fn dlt_str(text: &[u8]) -> Vec<u8> {
    let mut p = 0x8200u32.to_le_bytes().to_vec();
    p.extend_from_slice(&(text.len() as u16 + 1).to_le_bytes());
    p.extend_from_slice(text);
    p.push(0);
    p
}

#[test]
fn messages_go_verbose_at_their_own_level_and_an_off_stream_forwards_none() {
    use rtlog::format::Level as L;
    let dir = TempDir::new("dlt-sink-messages");
    let (mut reader, mut c) = listening(&dir);
    c.max_record_size = 8192;
    // Records of the critical stream go at FATAL; messages keep their own level. The normal
    // stream (messages below ERROR) is off: none of its messages reach DLT.
    c.dlt = DltConfig {
        enable: true,
        pipe_dir: dir.0.clone(),
        level_critical: Level::Fatal,
        level_normal: Level::Off,
        ..c.dlt
    };
    let lg = Logger::init(c).unwrap();
    let p = producer(lg.create_producer("ctl").unwrap());
    lg.start().unwrap();
    lg.set_level(L::Trace);
    let over = call_site(L::Error, "joint %u over %s", &[ArgType::U32, ArgType::Str]);
    let warn = call_site(L::Warn, "joint %u warm", &[ArgType::U32]);
    let long = call_site(L::Fatal, "a long message %s", &[ArgType::Str]);
    log(&lg, p, over, &[u(3), s(b"limit")]);
    log(&lg, p, warn, &[u(4)]); // normal stream: off
    publish(&lg, p, Stream::Critical, 9, b"rec");
    // Within max_record_size and the non-verbose limit, but its verbose form is not.
    static BIG: [u8; 4040] = [b'x'; 4040];
    log(&lg, p, long, &[s(&BIG)]);
    log(&lg, p, over, &[u(5), s(b"again")]);
    let st = step_until(&lg, "messages", |s| s.sent == 3 && s.lost_too_large == 1);
    assert_eq!((st.offered, st.queued, st.loss_markers), (4, 0, 1), "{st:?}");
    let msgs = decode(&read_all(&mut reader));
    let logs: Vec<_> = msgs
        .iter()
        .filter_map(|m| match m {
            Msg::Log { msin, noar, payload, .. } => Some((*msin, *noar, payload.clone())),
            _ => None,
        })
        .collect();
    let error_verbose = ((Level::Error as u8) << 4) | 1;
    let message = |j: u32, text: &[u8]| {
        let mut p = dlt_str(b"joint");
        p.extend_from_slice(&0x43u32.to_le_bytes());
        p.extend_from_slice(&j.to_le_bytes());
        p.extend_from_slice(&dlt_str(b"over"));
        p.extend_from_slice(&dlt_str(text));
        (error_verbose, 4, p)
    };
    assert_eq!(logs.len(), 4, "{logs:?}");
    assert_eq!(logs[0], message(3, b"limit"));
    assert_eq!(logs[1], ((Level::Fatal as u8) << 4, 0, nonverbose(9, b"rec")));
    assert_eq!(logs[2].0, ((Level::Warn as u8) << 4) | 1, "the too-large message's marker");
    assert!(logs[2].2.windows(17).any(|w| w == b"too large for dlt"));
    assert_eq!(logs[3], message(5, b"again"));
    lg.shutdown().unwrap();
}
