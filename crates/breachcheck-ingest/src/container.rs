//! Container sniffing: the magic bytes decide, not the file name. gzip and zstd streams
//! are decompressed on the fly; a zip archive's members are parts of the input, each read
//! through a bounded channel from a thread that owns the archive (the zip crate's member
//! readers borrow the archive, which a streaming reader cannot).
use crate::Container;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, Receiver};

const GZIP: &[u8] = &[0x1f, 0x8b];
const ZSTD: &[u8] = &[0x28, 0xb5, 0x2f, 0xfd];
const ZIP: &[u8] = b"PK\x03\x04";
const ZIP_EMPTY: &[u8] = b"PK\x05\x06";
/// OLE compound file (legacy `.xls`).
const OLE: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// The container of a file, from its first bytes.
pub(crate) fn sniff_file(path: &Path) -> std::io::Result<Container> {
    let mut f = File::open(path)?;
    let mut magic = [0u8; 8];
    let n = read_up_to(&mut f, &mut magic)?;
    Ok(classify(&magic[..n]))
}

fn classify(b: &[u8]) -> Container {
    if b.starts_with(GZIP) {
        Container::Gzip
    } else if b.starts_with(ZSTD) {
        Container::Zstd
    } else if b.starts_with(ZIP) || b.starts_with(ZIP_EMPTY) {
        Container::Zip
    } else if b.starts_with(OLE) {
        Container::Ole
    } else {
        Container::Plain
    }
}

/// Wraps `inner` in a decompressor if its first bytes say gzip or zstd; returns what it was.
/// Used for whole files and for members of an archive (a `.csv.gz` inside a `.zip`).
pub(crate) fn decompress(
    inner: Box<dyn Read + Send>,
) -> std::io::Result<(Container, Box<dyn Read + Send>)> {
    let mut r = BufReader::with_capacity(256 * 1024, inner);
    let kind = classify(r.fill_buf()?);
    Ok(match kind {
        Container::Gzip => (kind, Box::new(flate2::read::MultiGzDecoder::new(r))),
        Container::Zstd => (kind, Box::new(zstd::stream::read::Decoder::with_buffer(r)?)),
        _ => (kind, Box::new(r)),
    })
}

/// Opens a (non-zip) file and returns a reader of its decompressed bytes.
pub(crate) fn open(path: &Path) -> std::io::Result<(Container, Box<dyn Read + Send>)> {
    decompress(Box::new(File::open(path)?))
}

/// [`open`], counting the file's bytes read (before decompression) into `counter`, for
/// progress against the file size.
pub(crate) fn open_counted(
    path: &Path,
    counter: std::sync::Arc<std::sync::atomic::AtomicU64>,
) -> std::io::Result<(Container, Box<dyn Read + Send>)> {
    decompress(Box::new(Counted {
        inner: File::open(path)?,
        counter,
    }))
}

struct Counted<R> {
    inner: R,
    counter: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.counter
            .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

/// Names of the file members of a zip archive, with their indexes.
pub(crate) fn zip_members(path: &Path) -> std::io::Result<Vec<(usize, String)>> {
    let mut z = zip::ZipArchive::new(File::open(path)?).map_err(std::io::Error::other)?;
    let mut out = Vec::new();
    for i in 0..z.len() {
        let m = z.by_index(i).map_err(std::io::Error::other)?;
        if m.is_file() {
            out.push((i, m.name().map_err(std::io::Error::other)?.into_owned()));
        }
    }
    Ok(out)
}

/// Opens member `index` of the zip archive at `path`, decompressing a gzip or zstd member
/// once more.
pub(crate) fn open_zip_member(
    path: &Path,
    index: usize,
) -> std::io::Result<(Container, Box<dyn Read + Send>)> {
    let (tx, rx) = sync_channel::<std::io::Result<Vec<u8>>>(4);
    let path: PathBuf = path.to_owned();
    std::thread::spawn(move || {
        let run = || -> std::io::Result<()> {
            let mut z = zip::ZipArchive::new(File::open(&path)?).map_err(std::io::Error::other)?;
            let mut m = z.by_index(index).map_err(std::io::Error::other)?;
            loop {
                let mut buf = vec![0u8; 64 * 1024];
                let n = m.read(&mut buf)?;
                if n == 0 {
                    return Ok(());
                }
                buf.truncate(n);
                if tx.send(Ok(buf)).is_err() {
                    return Ok(()); // the reader was dropped
                }
            }
        };
        if let Err(e) = run() {
            let _ = tx.send(Err(e));
        }
    });
    decompress(Box::new(ChannelReader {
        rx,
        cur: Vec::new(),
        pos: 0,
    }))
}

/// Reads the chunks a member thread sends.
struct ChannelReader {
    rx: Receiver<std::io::Result<Vec<u8>>>,
    cur: Vec<u8>,
    pos: usize,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.pos >= self.cur.len() {
            match self.rx.recv() {
                Ok(Ok(chunk)) => {
                    self.cur = chunk;
                    self.pos = 0;
                }
                Ok(Err(e)) => return Err(e),
                Err(_) => return Ok(0), // sender finished
            }
        }
        let n = buf.len().min(self.cur.len() - self.pos);
        buf[..n].copy_from_slice(&self.cur[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}
