//! `--format mcap`: an MCAP file of JSON messages with JSON Schemas, zstd-compressed chunks.
//!
//! Channels: `/<producer>/<type name>` for each producer and record type (messages: the
//! record's fields as `rtlog dump --json` gives them), `/<producer>/type-<N>` for records
//! written as bytes, `/<producer>/log` for log messages (Foxglove's `foxglove.Log`: timestamp,
//! level, message, name = the producer, file, line), `/<producer>/loss` for loss markers and
//! `/rtlog/state` for supervisor state changes. Log time and publish time are the record's
//! wall-clock time; an MCAP message's sequence is the record's per-stream seq (its low 32
//! bits), 0 for markers.
//!
//! Levels map to `foxglove.LogLevel`: TRACE and DEBUG → DEBUG (1), INFO → INFO (2), WARN →
//! WARNING (3), ERROR → ERROR (4), FATAL → FATAL (5). A message whose call site the log lost
//! has the text `<call site N> args`, file "" and line 0.

use super::{create_file, producer_label, schema, Exporter};
use crate::error::CliError;
use crate::message::Decoded;
use crate::record::{push_hex, stream_name, Line};
use mcap::records::MessageHeader;
use mcap::{Compression, WriteOptions, Writer};
use rtlog::format::{FrameKind, Level, LossMarker, LossReason, StateChange};
use rtlog::schema::render;
use rtlog::State;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

/// What a channel carries, besides its producer.
#[derive(Clone, PartialEq, Eq, Hash)]
enum Topic {
    /// A registered type: its name and layout text.
    Typed(String, String),
    /// Records written as bytes, by type number.
    Untyped(u16),
    Log,
    Loss,
    State,
}

/// The MCAP exporter.
pub struct Mcap {
    path: PathBuf,
    w: Writer<BufWriter<File>>,
    /// Channel ids by (producer label, topic); the state channel has the producer "rtlog".
    channels: HashMap<(String, Topic), u16>,
    message: String,
    mismatched: u64,
    undecodable: u64,
}

impl Mcap {
    /// Writes to the file `path`.
    pub fn create(path: &Path) -> Result<Mcap, CliError> {
        let file = BufWriter::with_capacity(256 * 1024, create_file(path)?);
        let options = WriteOptions::new()
            .compression(Some(Compression::Zstd))
            .profile("")
            .library(format!("rtlog {}", env!("CARGO_PKG_VERSION")));
        let w = options.create(file).map_err(|e| mcap_error(path, e))?;
        Ok(Mcap {
            path: path.to_path_buf(),
            w,
            channels: HashMap::new(),
            message: String::new(),
            mismatched: 0,
            undecodable: 0,
        })
    }

    /// The channel of `topic` for `producer`, added (with its schema) on first use.
    fn channel(&mut self, producer: String, topic: Topic, line: &Line) -> Result<u16, CliError> {
        let key = (producer, topic);
        if let Some(&id) = self.channels.get(&key) {
            return Ok(id);
        }
        let (producer, topic) = &key;
        let mut metadata = BTreeMap::new();
        let (schema_name, schema, name): (&str, String, String) = match (topic, line.typed) {
            (Topic::Typed(name, layout), Some(t)) => {
                metadata.insert("rtlog.layout".to_string(), layout.clone());
                (name, schema::of_type(t), name.clone())
            }
            (Topic::Log, _) => (schema::LOG.0, schema::LOG.1.into(), "log".into()),
            (Topic::Loss, _) => (schema::LOSS.0, schema::LOSS.1.into(), "loss".into()),
            (Topic::State, _) => (schema::STATE.0, schema::STATE.1.into(), "state".into()),
            _ => {
                let n = line.record_type;
                (schema::UNTYPED.0, schema::UNTYPED.1.into(), format!("type-{n}"))
            }
        };
        let path = &self.path;
        let schema_id = self
            .w
            .add_schema(schema_name, "jsonschema", schema.as_bytes())
            .map_err(|e| mcap_error(path, e))?;
        let id = self
            .w
            .add_channel(schema_id, &format!("/{producer}/{name}"), "json", &metadata)
            .map_err(|e| mcap_error(path, e))?;
        self.channels.insert(key, id);
        Ok(id)
    }

    /// Puts a data record's message in `self.message`; returns its topic.
    fn data(&mut self, line: &Line) -> Topic {
        let m = &mut self.message;
        if let Some(t) = line.typed {
            if render::push_json(m, &t.layout, line.payload) {
                return Topic::Typed(t.name.clone(), t.layout.text().to_string());
            }
        }
        let _ = write!(m, "{{\"type\":{},\"len\":{}", line.record_type, line.payload.len());
        if let Some(t) = line.typed {
            self.mismatched += 1;
            m.push_str(",\"type_name\":");
            render::push_json_str(m, &t.name);
            let _ = write!(m, ",\"expected_len\":{}", t.layout.size());
        }
        m.push_str(",\"payload_hex\":\"");
        push_hex(m, line.payload);
        m.push_str("\"}");
        Topic::Untyped(line.record_type)
    }

    /// Puts a log message's `foxglove.Log` in `self.message`.
    fn log(&mut self, line: &Line, decoded: &Decoded) {
        let m = &mut self.message;
        let (sec, nsec) = (line.wall_ns / 1_000_000_000, line.wall_ns % 1_000_000_000);
        let _ = write!(
            m,
            "{{\"timestamp\":{{\"sec\":{sec},\"nsec\":{nsec}}},\"level\":{},\"message\":",
            foxglove_level(line.level)
        );
        match decoded {
            Ok(msg) => render::push_json_str(m, &msg.text()),
            Err(e) => render::push_json_str(m, &format!("<undecodable message: {e}>")),
        }
        m.push_str(",\"name\":");
        render::push_json_str(m, &producer_label(line));
        let site = decoded.as_ref().ok().and_then(|msg| msg.site);
        m.push_str(",\"file\":");
        render::push_json_str(m, site.map_or("", |s| &s.file));
        let _ = write!(m, ",\"line\":{}}}", site.map_or(0, |s| s.line));
    }

    /// Puts a loss marker's message in `self.message`; `false` if it does not decode.
    fn loss(&mut self, line: &Line) -> bool {
        let Ok(l) = LossMarker::decode(line.payload) else {
            return false;
        };
        let reason = match l.reason {
            LossReason::Refused => "refused",
            LossReason::WriteFailed => "write_failed",
            LossReason::Overwritten => "overwritten",
        };
        let _ = write!(
            self.message,
            "{{\"stream\":\"{}\",\"count\":{},\"first_seq\":{},\"last_seq\":{},\"reason\":\"{reason}\"}}",
            stream_name(line.stream),
            l.count,
            l.first_seq,
            l.last_seq
        );
        true
    }

    /// Puts a state change's message in `self.message`; `false` if it does not decode.
    fn state(&mut self, line: &Line) -> bool {
        let Ok(s) = StateChange::decode(line.payload) else {
            return false;
        };
        let (from, to) = (State::from_u8(s.from), State::from_u8(s.to));
        let m = &mut self.message;
        let _ = write!(m, "{{\"from\":\"{}\",\"to\":\"{}\",\"cause\":", from.name(), to.name());
        render::push_json_str(m, &String::from_utf8_lossy(&s.cause));
        let _ = write!(m, ",\"from_code\":{},\"to_code\":{}}}", s.from, s.to);
        true
    }
}

impl Exporter for Mcap {
    fn frame(&mut self, kind: FrameKind, line: &Line) -> Result<(), CliError> {
        self.message.clear();
        let (producer, topic) = match kind {
            FrameKind::Data => (producer_label(line), self.data(line)),
            FrameKind::Message => match line.message {
                Some(decoded) => {
                    self.log(line, decoded);
                    (producer_label(line), Topic::Log)
                }
                None => return Ok(()),
            },
            FrameKind::Loss if self.loss(line) => (producer_label(line), Topic::Loss),
            FrameKind::State if self.state(line) => ("rtlog".to_string(), Topic::State),
            _ => {
                self.undecodable += 1;
                return Ok(());
            }
        };
        let channel_id = self.channel(producer, topic, line)?;
        let with_seq = matches!(kind, FrameKind::Data | FrameKind::Message);
        let sequence = if with_seq { line.seq as u32 } else { 0 };
        let header = MessageHeader {
            channel_id,
            sequence,
            log_time: line.wall_ns,
            publish_time: line.wall_ns,
        };
        let path = &self.path;
        self.w
            .write_to_known_channel(&header, self.message.as_bytes())
            .map_err(|e| mcap_error(path, e))
    }

    fn finish(&mut self) -> Result<(), CliError> {
        self.w.finish().map_err(|e| mcap_error(&self.path, e))?;
        Ok(())
    }

    fn note(&self) -> Option<String> {
        let mut notes = Vec::new();
        if self.mismatched > 0 {
            notes.push(format!(
                "{} record(s) of a registered type had another length than the type's size; \
                 written as bytes on /<producer>/type-<N>",
                self.mismatched
            ));
        }
        if self.undecodable > 0 {
            notes.push(format!(
                "{} loss marker(s) or state change(s) did not decode and were left out",
                self.undecodable
            ));
        }
        (!notes.is_empty()).then(|| notes.join("; "))
    }
}

/// The `foxglove.LogLevel` of a level (Foxglove has no TRACE: it is DEBUG there).
fn foxglove_level(level: Level) -> u8 {
    match level {
        Level::Trace | Level::Debug => 1,
        Level::Info => 2,
        Level::Warn => 3,
        Level::Error => 4,
        Level::Fatal => 5,
    }
}

/// `writing PATH: ...` for the MCAP writer's errors (which include its I/O errors).
fn mcap_error(path: &Path, e: mcap::McapError) -> CliError {
    CliError::fatal(format!("writing {}: {e}", path.display()))
}
