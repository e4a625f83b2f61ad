//! The store on disk: a directory of hourly shards of CRC'd, zstd-compressed frames, an
//! append-only events journal, and a lock; retention deletes whole shards, oldest first.
//!
//! Shard file: `VFTOPREC`, format version (u16 LE), two reserved bytes; then records of
//! `magic u32 | length u32 | crc32 u32 | payload`, payload = `time (i64 ms, LE) | codec | body`.
//! The codec byte says raw or zstd and whether the frame is a keyframe, so a reader can find
//! keyframes and times without decompressing anything.

use super::frame::{COLUMNS, Decoder, Encoder, Frame, FrameError, Keep, Shape, keep_all};
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The format this build writes and reads.
pub const FORMAT_VERSION: u16 = 1;
const FILE_MAGIC: &[u8; 8] = b"VFTOPREC";
const HEADER_LEN: usize = 12;
const FRAME_MAGIC: [u8; 4] = *b"VFRF";
const RECORD_HEAD: usize = 12;
/// Times and codec before the body.
const PAYLOAD_HEAD: usize = 9;
/// No frame is bigger (a 4096-VF PF is ~100 KiB).
const MAX_FRAME: usize = 64 << 20;
const CODEC_ZSTD: u8 = 1;
const CODEC_KEY: u8 = 0x80;
const SHARD_SPAN_MS: i64 = 3_600_000;
/// A keyframe every minute at 1 s: damage costs at most a minute, a seek decodes at most 59
/// frames before the one it wants.
pub const KEY_EVERY: u32 = 60;
const ZSTD_LEVEL: i32 = 3;
/// Below this much free space the recorder refuses to start.
const MIN_FREE_BYTES: u64 = 4 << 20;

/// What went wrong with a store, in words an operator can act on.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error(
        "{path} was written in store format version {found}; this vftop reads version {FORMAT_VERSION} \
         ({hint})"
    )]
    Version { path: PathBuf, found: u16, hint: &'static str },
    #[error("{0} is not a vftop recording (no VFTOPREC header)")]
    NotAStore(PathBuf),
    #[error("no recording in {0} (start one with `vftop record --dir {0}`)")]
    Empty(PathBuf),
    #[error("another recorder is writing {0} (its lock file is held)")]
    Locked(PathBuf),
    #[error("{path} has only {free} bytes free; the recorder needs at least {MIN_FREE_BYTES}")]
    Full { path: PathBuf, free: u64 },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io { path: path.to_path_buf(), source }
}

/// How much the store keeps: shards older than `max_age` go, then the oldest until the whole
/// store fits in `max_bytes` (the shard being written always stays).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retention {
    pub max_age: Duration,
    pub max_bytes: u64,
}

impl Default for Retention {
    /// A week, and at most 2 GiB (`vftop record` and a console's `--record` alike).
    fn default() -> Self {
        Retention { max_age: Duration::from_secs(7 * 86_400), max_bytes: 2 << 30 }
    }
}

/// `20261125T03.vfr` for the hour (UTC) that holds `at_ms`.
fn shard_name(start_ms: i64) -> String {
    let ts = jiff::Timestamp::from_millisecond(start_ms).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    ts.strftime("%Y%m%dT%H.vfr").to_string()
}

fn shard_start(name: &str) -> Option<i64> {
    let stem = name.strip_suffix(".vfr")?;
    let dt = jiff::civil::DateTime::strptime("%Y%m%dT%H", stem).ok()?;
    Some(dt.to_zoned_datetime(jiff::tz::TimeZone::UTC).ok()?.timestamp().as_millisecond())
}

fn hour_of(at_ms: i64) -> i64 {
    at_ms.div_euclid(SHARD_SPAN_MS) * SHARD_SPAN_MS
}

/// One shard file on disk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShardFile {
    pub path: PathBuf,
    pub start_ms: i64,
    pub bytes: u64,
}

/// The shards in `dir`, oldest first.
pub fn list_shards(dir: &Path) -> Result<Vec<ShardFile>, StoreError> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io(dir))? {
        let entry = entry.map_err(io(dir))?;
        let name = entry.file_name();
        let Some(start_ms) = name.to_str().and_then(shard_start) else { continue };
        let bytes = entry.metadata().map(|m| m.len()).unwrap_or(0);
        out.push(ShardFile { path: entry.path(), start_ms, bytes });
    }
    out.sort_by_key(|s| s.start_ms);
    Ok(out)
}

fn header() -> [u8; HEADER_LEN] {
    let mut h = [0u8; HEADER_LEN];
    h[..8].copy_from_slice(FILE_MAGIC);
    h[8..10].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
    h
}

fn check_header(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    if bytes.len() < HEADER_LEN || &bytes[..8] != FILE_MAGIC {
        return Err(StoreError::NotAStore(path.to_path_buf()));
    }
    let found = u16::from_le_bytes([bytes[8], bytes[9]]);
    if found != FORMAT_VERSION {
        let hint = if found > FORMAT_VERSION {
            "a newer vftop wrote it: read it with that version"
        } else {
            "an older vftop wrote it: read it with that version, or move it aside"
        };
        return Err(StoreError::Version { path: path.to_path_buf(), found, hint });
    }
    Ok(())
}

/// One frame's place in a shard, found without decompressing it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record {
    pub at_ms: i64,
    pub keyframe: bool,
    /// Damage came right before this record: a frame of its chain may be missing.
    pub after_damage: bool,
    codec: u8,
    /// Range of the body within the shard's bytes.
    body: (usize, usize),
}

/// The frames of a shard's bytes, in order, and the damage found between them.
#[derive(Debug, Default)]
pub struct Scan {
    pub records: Vec<Record>,
    pub damage: Vec<String>,
    /// Where the last good frame ends: a writer appends from here.
    pub valid_end: usize,
}

/// Walks a shard: a record whose magic, length or CRC is wrong is damage, and the walk goes on
/// at the next frame magic after it; a short record at the end is a torn write.
pub fn scan(bytes: &[u8]) -> Scan {
    let mut out = Scan { valid_end: HEADER_LEN.min(bytes.len()), ..Scan::default() };
    let mut at = HEADER_LEN;
    let mut damaged = false;
    while at < bytes.len() {
        match record_at(bytes, at) {
            Ok(mut record) => {
                record.after_damage = std::mem::take(&mut damaged);
                at = record.body.1;
                out.valid_end = at;
                out.records.push(record);
            }
            Err(Damage::Torn) => {
                out.damage.push(format!("{} torn bytes at the end (a write cut short)", bytes.len() - at));
                break;
            }
            Err(Damage::Bad(why)) => {
                damaged = true;
                let next = find_magic(bytes, at + 1);
                out.damage.push(format!("{why} at offset {at}: skipped {} bytes", next - at));
                at = next;
            }
        }
    }
    out
}

enum Damage {
    Torn,
    Bad(&'static str),
}

fn record_at(bytes: &[u8], at: usize) -> Result<Record, Damage> {
    let head = bytes.get(at..at + RECORD_HEAD).ok_or(Damage::Torn)?;
    if head[..4] != FRAME_MAGIC {
        return Err(Damage::Bad("no frame magic"));
    }
    let len = u32::from_le_bytes(head[4..8].try_into().unwrap_or_default()) as usize;
    let crc = u32::from_le_bytes(head[8..12].try_into().unwrap_or_default());
    if !(PAYLOAD_HEAD..=MAX_FRAME).contains(&len) {
        return Err(Damage::Bad("impossible frame length"));
    }
    let start = at + RECORD_HEAD;
    let Some(payload) = bytes.get(start..start + len) else {
        // Too long for what is left: torn if nothing follows that looks like a frame.
        return if find_magic(bytes, at + 1) == bytes.len() {
            Err(Damage::Torn)
        } else {
            Err(Damage::Bad("frame runs past the next"))
        };
    };
    if crc32fast::hash(payload) != crc {
        return Err(Damage::Bad("CRC mismatch"));
    }
    let at_ms = i64::from_le_bytes(payload[..8].try_into().unwrap_or_default());
    let codec = payload[8];
    Ok(Record {
        at_ms,
        keyframe: codec & CODEC_KEY != 0,
        after_damage: false,
        codec,
        body: (start + PAYLOAD_HEAD, start + len),
    })
}

fn find_magic(bytes: &[u8], from: usize) -> usize {
    bytes
        .get(from..)
        .and_then(|rest| rest.windows(4).position(|w| w == FRAME_MAGIC))
        .map_or(bytes.len(), |p| from + p)
}

/// The body of a record, decompressed (with one decompression context for a whole read).
fn body(
    bytes: &[u8],
    record: &Record,
    zstd: &mut zstd::bulk::Decompressor<'static>,
) -> Result<Vec<u8>, FrameError> {
    let data = &bytes[record.body.0..record.body.1];
    if record.codec & CODEC_ZSTD == 0 {
        return Ok(data.to_vec());
    }
    let size = zstd::zstd_safe::get_frame_content_size(data)
        .ok()
        .flatten()
        .filter(|n| *n <= MAX_FRAME as u64)
        .ok_or_else(|| FrameError::Malformed("zstd: no or impossible content size".into()))?;
    zstd.decompress(data, size as usize).map_err(|e| FrameError::Malformed(format!("zstd: {e}")))
}

fn encode_record(
    at_ms: i64,
    keyframe: bool,
    body: &[u8],
    zstd: &mut Option<zstd::bulk::Compressor<'static>>,
) -> Vec<u8> {
    let compressed = zstd.as_mut().and_then(|z| z.compress(body).ok()).filter(|c| c.len() < body.len());
    let (codec, data) = match &compressed {
        Some(c) => (CODEC_ZSTD, c.as_slice()),
        None => (0, body),
    };
    let mut payload = Vec::with_capacity(PAYLOAD_HEAD + data.len());
    payload.extend_from_slice(&at_ms.to_le_bytes());
    payload.push(codec | if keyframe { CODEC_KEY } else { 0 });
    payload.extend_from_slice(data);
    let mut out = Vec::with_capacity(RECORD_HEAD + payload.len());
    out.extend_from_slice(&FRAME_MAGIC);
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
    out.extend_from_slice(&payload);
    out
}

/// The shard being appended to.
struct OpenShard {
    start_ms: i64,
    file: File,
    len: u64,
}

/// Appends samples to a store directory; holds its lock while alive.
pub struct Writer {
    dir: PathBuf,
    retention: Retention,
    shard: Option<OpenShard>,
    encoder: Encoder,
    /// One compression context for every frame (making one per frame costs more than the frame).
    zstd: Option<zstd::bulk::Compressor<'static>>,
    frames_since_sync: u32,
    _lock: nix::fcntl::Flock<File>,
    /// What was last written: frames land here only after the previous one.
    last_at_ms: Option<i64>,
}

/// What happened to one sample.
#[derive(Debug, PartialEq, Eq)]
pub enum Appended {
    Written,
    /// Not after the last written sample (a clock step back): skipped.
    OutOfOrder,
}

impl Writer {
    /// Opens (creating) the store in `dir`: takes its lock, checks there is room, repairs a
    /// torn end left by a killed recorder, and applies retention.
    pub fn open(dir: &Path, retention: Retention) -> Result<Writer, StoreError> {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let lock_path = dir.join("lock");
        let lock_file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io(&lock_path))?;
        let lock = nix::fcntl::Flock::lock(lock_file, nix::fcntl::FlockArg::LockExclusiveNonblock)
            .map_err(|_| StoreError::Locked(dir.to_path_buf()))?;
        let stat = nix::sys::statvfs::statvfs(dir)
            .map_err(|e| StoreError::Io { path: dir.to_path_buf(), source: e.into() })?;
        let free = stat.blocks_available() as u64 * stat.fragment_size() as u64;
        if free < MIN_FREE_BYTES {
            return Err(StoreError::Full { path: dir.to_path_buf(), free });
        }
        let mut writer = Writer {
            dir: dir.to_path_buf(),
            retention,
            shard: None,
            encoder: Encoder::new(KEY_EVERY),
            zstd: zstd::bulk::Compressor::new(ZSTD_LEVEL).ok(),
            frames_since_sync: 0,
            _lock: lock,
            last_at_ms: None,
        };
        if let Some(newest) = list_shards(dir)?.last() {
            let bytes = std::fs::read(&newest.path).map_err(io(&newest.path))?;
            check_header(&newest.path, &bytes)?;
            writer.last_at_ms = scan(&bytes).records.last().map(|r| r.at_ms);
        }
        Ok(writer)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Appends one sample. On an error (disk full, I/O) the shard is cut back to its last
    /// whole frame and the next sample starts a new chain, so the store stays readable.
    pub fn append(
        &mut self,
        at_ms: i64,
        shape: Shape,
        counters: Vec<[u64; COLUMNS]>,
    ) -> Result<Appended, StoreError> {
        if self.last_at_ms.is_some_and(|last| at_ms <= last) {
            return Ok(Appended::OutOfOrder);
        }
        let hour = hour_of(at_ms);
        if self.shard.as_ref().is_none_or(|s| s.start_ms != hour) {
            self.roll(hour, at_ms)?;
        }
        let body = self.encoder.encode(shape, counters);
        let record = encode_record(at_ms, body.first().is_some_and(|f| f & 1 != 0), &body, &mut self.zstd);
        let Some(shard) = self.shard.as_mut() else { return Ok(Appended::OutOfOrder) };
        let path = self.dir.join(shard_name(shard.start_ms));
        if let Err(e) = shard.file.write_all(&record) {
            let _ = shard.file.set_len(shard.len);
            self.encoder.restart();
            return Err(io(&path)(e));
        }
        shard.len += record.len() as u64;
        self.last_at_ms = Some(at_ms);
        self.frames_since_sync += 1;
        if self.frames_since_sync >= KEY_EVERY {
            self.frames_since_sync = 0;
            shard.file.sync_data().map_err(io(&path))?;
        }
        Ok(Appended::Written)
    }

    /// Moves to the shard of the hour starting at `hour`: opened for append (after cutting a
    /// torn end) or created with a header; then old shards go.
    fn roll(&mut self, hour: i64, now_ms: i64) -> Result<(), StoreError> {
        if let Some(old) = self.shard.take() {
            let _ = old.file.sync_all();
        }
        self.encoder.restart();
        let path = self.dir.join(shard_name(hour));
        let existing = std::fs::read(&path).ok().filter(|b| !b.is_empty());
        let mut file = OpenOptions::new().create(true).append(true).open(&path).map_err(io(&path))?;
        let len = match existing {
            Some(bytes) => {
                check_header(&path, &bytes)?;
                let scan = scan(&bytes);
                if scan.valid_end < bytes.len() {
                    tracing::warn!(
                        "{}: cut {} bytes of a torn write",
                        path.display(),
                        bytes.len() - scan.valid_end
                    );
                    file.set_len(scan.valid_end as u64).map_err(io(&path))?;
                }
                scan.valid_end as u64
            }
            None => {
                if let Err(e) = file.write_all(&header()) {
                    let _ = std::fs::remove_file(&path);
                    return Err(io(&path)(e));
                }
                HEADER_LEN as u64
            }
        };
        self.shard = Some(OpenShard { start_ms: hour, file, len });
        self.apply_retention(now_ms);
        Ok(())
    }

    /// Deletes shards past the age limit, then the oldest until the store fits its size limit.
    pub fn apply_retention(&mut self, now_ms: i64) {
        let Ok(shards) = list_shards(&self.dir) else { return };
        let current = self.shard.as_ref().map(|s| s.start_ms);
        let oldest_kept =
            now_ms.saturating_sub(i64::try_from(self.retention.max_age.as_millis()).unwrap_or(i64::MAX));
        let mut total: u64 = shards.iter().map(|s| s.bytes).sum();
        for shard in &shards {
            if Some(shard.start_ms) == current {
                break;
            }
            let too_old = shard.start_ms + SHARD_SPAN_MS <= oldest_kept;
            if !too_old && total <= self.retention.max_bytes {
                break;
            }
            match std::fs::remove_file(&shard.path) {
                Ok(()) => {
                    total -= shard.bytes;
                    tracing::info!("retention: deleted {}", shard.path.display());
                    // Events go with the samples they belong to.
                    let next =
                        shards.iter().find(|s| s.start_ms > shard.start_ms).map_or(now_ms, |s| s.start_ms);
                    if let Err(e) = super::events::trim(&self.dir, next) {
                        tracing::warn!("retention: events journal: {e}");
                    }
                }
                Err(e) => tracing::warn!("retention: cannot delete {}: {e}", shard.path.display()),
            }
        }
    }

    /// Flushes to disk (on a clean stop).
    pub fn close(mut self) -> Result<(), StoreError> {
        if let Some(s) = self.shard.take() {
            let path = self.dir.join(shard_name(s.start_ms));
            s.file.sync_all().map_err(io(&path))?;
        }
        Ok(())
    }
}

/// A store opened for reading.
/// Frames handed from the decoding thread at once (one wake-up each), and batches decoded
/// ahead of the one being visited.
const BATCH: usize = 32;
const BATCHES_AHEAD: usize = 8;

pub struct Store {
    dir: PathBuf,
    shards: Vec<ShardFile>,
}

/// Frames read from a range, and what damage was stepped over on the way.
#[derive(Debug, Default)]
pub struct Readout {
    pub frames: Vec<Frame>,
    pub warnings: Vec<String>,
}

impl Store {
    /// Opens `dir` for reading; every shard's header must be of this format version.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        if !dir.exists() {
            return Err(StoreError::Empty(dir.to_path_buf()));
        }
        let shards = list_shards(dir)?;
        for shard in &shards {
            let mut head = [0u8; HEADER_LEN];
            let n = File::open(&shard.path).and_then(|mut f| f.read(&mut head)).map_err(io(&shard.path))?;
            check_header(&shard.path, &head[..n])?;
        }
        if shards.is_empty() {
            return Err(StoreError::Empty(dir.to_path_buf()));
        }
        Ok(Store { dir: dir.to_path_buf(), shards })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn shards(&self) -> &[ShardFile] {
        &self.shards
    }

    /// The first and last sample times in the store.
    pub fn span(&self) -> Option<(i64, i64)> {
        let first =
            self.shards.iter().find_map(|s| self.scan_shard(s).ok()?.1.records.first().map(|r| r.at_ms))?;
        let last = self
            .shards
            .iter()
            .rev()
            .find_map(|s| self.scan_shard(s).ok()?.1.records.last().map(|r| r.at_ms))?;
        Some((first, last))
    }

    fn scan_shard(&self, shard: &ShardFile) -> Result<(Vec<u8>, Scan), StoreError> {
        let bytes = std::fs::read(&shard.path).map_err(io(&shard.path))?;
        let scan = scan(&bytes);
        Ok((bytes, scan))
    }

    /// Sample times of the shards around `at_ms` (its hour and the ones either side), sorted,
    /// each once.
    pub fn times_near(&self, at_ms: i64) -> Vec<i64> {
        let hour = hour_of(at_ms);
        let mut times: Vec<i64> = self
            .shards
            .iter()
            .filter(|s| (s.start_ms - hour).abs() <= SHARD_SPAN_MS)
            .filter_map(|s| self.scan_shard(s).ok())
            .flat_map(|(_, scan)| scan.records.into_iter().map(|r| r.at_ms))
            .collect();
        times.sort_unstable();
        times.dedup();
        times
    }

    /// Every sample from `from_ms` to `to_ms` (inclusive), decoded from the keyframe before
    /// each; damaged frames are skipped and said in the warnings.
    pub fn read(&self, from_ms: i64, to_ms: i64) -> Readout {
        let mut frames = Vec::new();
        let warnings = self.visit((from_ms, to_ms), &keep_all, &mut |f| frames.push(f));
        Readout { frames, warnings }
    }

    /// Hands each sample in `range` (inclusive), with only the PFs and VFs `keep` wants, to
    /// `visit`, in time order; returns the damage stepped over. The shards are decoded on a
    /// second thread while this one visits: decoding costs about what reading a sample does.
    pub fn visit(&self, range: (i64, i64), keep: &Keep<'_>, visit: &mut dyn FnMut(Frame)) -> Vec<String> {
        let (batches, decoded) = std::sync::mpsc::sync_channel::<Vec<Frame>>(BATCHES_AHEAD);
        std::thread::scope(|scope| {
            let decoder =
                std::thread::Builder::new().name("vftop-decode".into()).spawn_scoped(scope, move || {
                    let mut open = true;
                    let mut batch = Vec::with_capacity(BATCH);
                    // A visitor gone (it panicked) ends the sending, not the decoding.
                    let warnings = self.decode_range(range, keep, &mut |frame| {
                        batch.push(frame);
                        if batch.len() == BATCH {
                            open = open
                                && batches
                                    .send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)))
                                    .is_ok();
                        }
                    });
                    let _ = batches.send(batch);
                    warnings
                });
            match decoder {
                Ok(decoder) => {
                    decoded.iter().flatten().for_each(&mut *visit);
                    decoder.join().unwrap_or_else(|_| vec!["the recording's decoder stopped on a bug".into()])
                }
                // No second thread to be had: decoded here, between visits.
                Err(_) => self.decode_range(range, keep, visit),
            }
        })
    }

    /// [`Store::visit`] on this thread.
    fn decode_range(&self, range: (i64, i64), keep: &Keep<'_>, visit: &mut dyn FnMut(Frame)) -> Vec<String> {
        let mut warnings = Vec::new();
        for shard in
            self.shards.iter().filter(|s| s.start_ms <= range.1 && s.start_ms + SHARD_SPAN_MS > range.0)
        {
            let (bytes, scan) = match self.scan_shard(shard) {
                Ok(s) => s,
                Err(e) => {
                    warnings.push(e.to_string());
                    continue;
                }
            };
            let name = shard.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            warnings.extend(scan.damage.iter().map(|d| format!("{name}: {d}")));
            let shard = ShardBytes { bytes: &bytes, records: &scan.records, name: &name };
            warnings.extend(shard.decode(range, keep, visit));
        }
        warnings
    }
}

/// Decodes a whole shard from its bytes (header, frames, damage), as a reader does with one
/// file; for fuzzing and tools.
pub fn decode_shard(bytes: &[u8]) -> Result<Readout, StoreError> {
    check_header(Path::new("<shard>"), bytes)?;
    let scan = scan(bytes);
    let shard = ShardBytes { bytes, records: &scan.records, name: "<shard>" };
    let mut frames = Vec::new();
    let mut warnings = scan.damage.clone();
    warnings.extend(shard.decode((i64::MIN, i64::MAX), &keep_all, &mut |f| frames.push(f)));
    Ok(Readout { frames, warnings })
}

/// One shard read into memory.
struct ShardBytes<'a> {
    bytes: &'a [u8],
    records: &'a [Record],
    name: &'a str,
}

impl ShardBytes<'_> {
    /// Decodes the records in `range`, starting from the last keyframe at or before its start.
    fn decode(&self, range: (i64, i64), keep: &Keep<'_>, visit: &mut dyn FnMut(Frame)) -> Vec<String> {
        let records = self.records;
        let first = records.partition_point(|r| r.at_ms < range.0);
        let start = records[..first].iter().rposition(|r| r.keyframe).unwrap_or(0);
        let mut decoder = Decoder::default();
        let Ok(mut zstd) = zstd::bulk::Decompressor::new() else {
            return vec![format!("{}: no zstd decompression context", self.name)];
        };
        let mut lost = Vec::new();
        for record in &records[start..] {
            if record.at_ms > range.1 {
                break;
            }
            if record.after_damage {
                decoder.lose_chain();
            }
            let decoded =
                body(self.bytes, record, &mut zstd).and_then(|b| decoder.decode(record.at_ms, &b, keep));
            match decoded {
                Ok(frame) if record.at_ms >= range.0 => visit(frame),
                Ok(_) => {}
                Err(e) => {
                    decoder.lose_chain();
                    if record.at_ms >= range.0 {
                        lost.push((record.at_ms, e));
                    }
                }
            }
        }
        match lost.as_slice() {
            [] => Vec::new(),
            [(at, e), rest @ ..] => vec![format!(
                "{}: {} frame(s) unreadable from {} ({e}{})",
                self.name,
                1 + rest.len(),
                crate::times::format_ms(*at),
                if rest.is_empty() { "" } else { "; the rest of its chain, until the next keyframe" }
            )],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Counters, Pf, Snapshot, Vf};

    fn sample(i: u64) -> Snapshot {
        let vf = |n: u32| Vf {
            index: n,
            counters: Counters {
                tx_bytes: i * 1000 * u64::from(n + 1),
                rx_bytes: i * 7,
                ..Counters::default()
            },
            ..Vf::default()
        };
        Snapshot {
            pfs: vec![Pf { name: "pf0".into(), num_vfs: 2, vfs: vec![vf(0), vf(1)], ..Pf::default() }],
            ..Snapshot::default()
        }
    }

    fn write(dir: &Path, from_s: i64, n: i64) {
        let retention = Retention { max_age: Duration::from_secs(86400 * 365 * 100), max_bytes: u64::MAX };
        let mut w = Writer::open(dir, retention).unwrap();
        for i in from_s..from_s + n {
            let s = sample(i as u64);
            let shape = Shape::of(&s, &|_, _| None);
            assert_eq!(
                w.append(i * 1000, shape, super::super::frame::counters_of(&s)).unwrap(),
                Appended::Written
            );
        }
        w.close().unwrap();
    }

    fn tx_of(frame: &Frame) -> u64 {
        frame.snapshot.pfs[0].vfs[1].counters.tx_bytes
    }

    #[test]
    fn frames_round_trip_across_shards_and_restarts() {
        let dir = tempdir("roundtrip");
        write(&dir, 3500, 200); // crosses an hour
        write(&dir, 3700, 10); // a restart appends to the same shard
        let store = Store::open(&dir).unwrap();
        assert_eq!(store.shards().len(), 2);
        let out = store.read(0, i64::MAX);
        assert!(out.warnings.is_empty(), "{:?}", out.warnings);
        let times: Vec<i64> = out.frames.iter().map(|f| f.at_ms / 1000).collect();
        assert_eq!(times, (3500..3710).collect::<Vec<_>>());
        assert!(out.frames.iter().all(|f| tx_of(f) == f.at_ms as u64 / 1000 * 2000));
        assert_eq!(store.span(), Some((3_500_000, 3_709_000)));
        let part = store.read(3_650_000, 3_660_000);
        assert_eq!(part.frames.len(), 11);
        assert_eq!(tx_of(&part.frames[0]), 3650 * 2000);
    }

    #[test]
    fn a_torn_end_is_cut_and_a_flipped_bit_costs_only_its_chain() {
        let dir = tempdir("damage");
        write(&dir, 0, 300);
        let shard = list_shards(&dir).unwrap().remove(0);
        let mut bytes = std::fs::read(&shard.path).unwrap();
        let records = scan(&bytes).records;
        // Flip a bit inside frame 100 (a delta frame in the chain of frame 60).
        let victim = records[100].body.0 + 1;
        bytes[victim] ^= 0x10;
        bytes.extend_from_slice(&FRAME_MAGIC); // and a torn write at the end
        bytes.extend_from_slice(&[200, 0, 0]);
        std::fs::write(&shard.path, &bytes).unwrap();
        let out = Store::open(&dir).unwrap().read(0, i64::MAX);
        let times: Vec<i64> = out.frames.iter().map(|f| f.at_ms / 1000).collect();
        let expected: Vec<i64> = (0..100).chain(120..300).collect();
        assert_eq!(times, expected);
        assert!(out.warnings.iter().any(|w| w.contains("CRC mismatch")), "{:?}", out.warnings);
        assert!(out.warnings.iter().any(|w| w.contains("torn")), "{:?}", out.warnings);
        // A writer reopening the store cuts the torn end and goes on.
        write(&dir, 300, 5);
        let out = Store::open(&dir).unwrap().read(299_000, i64::MAX);
        assert_eq!(out.frames.len(), 6);
        assert!(!out.warnings.iter().any(|w| w.contains("torn")), "{:?}", out.warnings);
    }

    #[test]
    fn random_damage_never_panics_and_keeps_what_is_intact() {
        let dir = tempdir("fuzzish");
        write(&dir, 0, 600);
        let shard = list_shards(&dir).unwrap().remove(0);
        let clean = std::fs::read(&shard.path).unwrap();
        let mut seed = 12345u64;
        for _ in 0..100 {
            let mut bytes = clean.clone();
            for _ in 0..3 {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let at = HEADER_LEN + (seed >> 33) as usize % (bytes.len() - HEADER_LEN);
                bytes[at] = (seed >> 20) as u8;
            }
            bytes.truncate(bytes.len() - (seed >> 40) as usize % 50);
            std::fs::write(&shard.path, &bytes).unwrap();
            let out = Store::open(&dir).unwrap().read(0, i64::MAX);
            // Three damaged spots lose at most three chains, the torn tail a fourth.
            assert!(out.frames.len() >= 600 - 4 * KEY_EVERY as usize, "{}", out.frames.len());
            for f in &out.frames {
                assert_eq!(tx_of(f), f.at_ms as u64 / 1000 * 2000, "a frame read back wrong");
            }
        }
    }

    #[test]
    fn other_versions_are_named() {
        let dir = tempdir("version");
        write(&dir, 0, 3);
        let shard = list_shards(&dir).unwrap().remove(0);
        let mut bytes = std::fs::read(&shard.path).unwrap();
        bytes[8] = 2;
        std::fs::write(&shard.path, &bytes).unwrap();
        let e = Store::open(&dir).err().unwrap().to_string();
        assert!(
            e.contains("format version 2") && e.contains("reads version 1") && e.contains("newer"),
            "{e}"
        );
        assert!(matches!(
            Writer::open(&dir, Retention { max_age: Duration::MAX, max_bytes: u64::MAX })
                .and_then(|mut w| w.append(5000, Shape::default(), vec![])),
            Err(StoreError::Version { .. })
        ));
    }

    #[test]
    fn retention_deletes_the_oldest_shards_first() {
        let dir = tempdir("retention");
        for hour in 0..5 {
            write(&dir, hour * 3600, 20);
        }
        assert_eq!(list_shards(&dir).unwrap().len(), 5);
        let one = list_shards(&dir).unwrap()[0].bytes;
        // By age: shards that ended more than 2 h before the newest sample go.
        let mut w = Writer::open(&dir, Retention { max_age: Duration::from_secs(7200), max_bytes: u64::MAX })
            .unwrap();
        w.append(4 * 3600 * 1000 + 30_000, Shape::default(), vec![]).unwrap();
        let starts: Vec<i64> = list_shards(&dir).unwrap().iter().map(|s| s.start_ms / 3_600_000).collect();
        assert_eq!(starts, vec![2, 3, 4]);
        drop(w);
        let event = |hour: i64| crate::model::event::Event {
            at_ms: hour * 3_600_000 + 5_000,
            pf: "pf0".into(),
            vf: Some(0),
            partition: None,
            kind: crate::model::event::EventKind::Appeared,
        };
        super::super::events::append(&dir, &[event(2), event(4)]).unwrap();
        // By size: the oldest go until what is left fits, and their events with them.
        let mut w = Writer::open(&dir, Retention { max_age: Duration::MAX, max_bytes: one * 2 }).unwrap();
        w.append(5 * 3600 * 1000, Shape::default(), vec![]).unwrap();
        let starts: Vec<i64> = list_shards(&dir).unwrap().iter().map(|s| s.start_ms / 3_600_000).collect();
        assert_eq!(starts, vec![4, 5]);
        let (events, _) = super::super::events::read(&dir, i64::MIN, i64::MAX);
        assert_eq!(events, vec![event(4)]);
    }

    #[test]
    fn a_second_writer_is_refused() {
        let dir = tempdir("lock");
        let retention = Retention { max_age: Duration::MAX, max_bytes: u64::MAX };
        let _first = Writer::open(&dir, retention).unwrap();
        assert!(matches!(Writer::open(&dir, retention), Err(StoreError::Locked(_))));
    }

    #[test]
    fn shard_names_are_utc_hours() {
        assert_eq!(shard_name(0), "19700101T00.vfr");
        assert_eq!(shard_start("20261125T03.vfr"), Some(1_795_575_600_000));
        assert_eq!(shard_start("notes.txt"), None);
    }

    fn tempdir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("vftop-store-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
