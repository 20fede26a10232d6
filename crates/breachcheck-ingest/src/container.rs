//! Container sniffing: the magic bytes decide, not the file name.
use crate::Container;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

/// Opens `path` and returns a reader of its decompressed bytes.
pub(crate) fn open(path: &Path) -> std::io::Result<(Container, Box<dyn Read + Send>)> {
    let mut f = File::open(path)?;
    let mut magic = [0u8; 2];
    let n = read_up_to(&mut f, &mut magic)?;
    drop(f);
    let f = BufReader::with_capacity(256 * 1024, File::open(path)?);
    if n == 2 && magic == [0x1f, 0x8b] {
        Ok((
            Container::Gzip,
            Box::new(flate2::read::MultiGzDecoder::new(f)),
        ))
    } else {
        Ok((Container::Plain, Box::new(f)))
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
