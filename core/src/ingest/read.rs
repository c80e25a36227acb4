//! The byte stream under the CSV reader: CRLF turned into LF with a bound on line length, and
//! the SHA-256 of every byte read.

use super::*;

/// Turns CRLF line ends into LF before the CSV reader sees them (the file's hash is taken on its
/// own bytes, before): the `csv` crate places a record after a CRLF at the line before, so a
/// file saved by Excel on Windows had every error one line too early. A lone CR is kept.
pub(super) struct Crlf<R> {
    pub(super) inner: R,
    pub(super) buf: Box<[u8]>,
    pub(super) pos: usize,
    pub(super) len: usize,
    /// The last byte read was a CR, not yet given out: it depends on the byte after it.
    pub(super) held_cr: bool,
    /// The longest line allowed, and the bytes given out since the last line end.
    pub(super) max_line: u64,
    pub(super) since_newline: u64,
    /// A line over the limit starts where the buffer ends: the next fill fails.
    pub(super) too_long: bool,
}

impl<R: Read> Crlf<R> {
    pub(super) fn new(inner: R, max_line: u64) -> Self {
        Self {
            inner,
            buf: vec![0; 64 * 1024].into_boxed_slice(),
            pos: 0,
            len: 0,
            held_cr: false,
            max_line,
            since_newline: 0,
            too_long: false,
        }
    }

    /// Measures the lines of the buffer just filled. At a line over the limit, the buffer is
    /// cut where that line starts (so the reader meets it at its own line number) and the next
    /// fill fails; when nothing is left before it, this one does.
    pub(super) fn measure(&mut self) -> io::Result<()> {
        let data = &self.buf[..self.len];
        // Where the current line starts in the buffer, and its bytes given out before it.
        let (mut start, mut carried) = (0, self.since_newline);
        let cut = loop {
            match data[start..].iter().position(|&b| b == b'\n') {
                Some(i) if carried + i as u64 > self.max_line => break Some(start),
                Some(i) => {
                    (start, carried) = (start + i + 1, 0);
                    // No line inside the buffer can be over a limit the buffer is shorter than.
                    if self.max_line >= data.len() as u64
                        && let Some(last) = data[start..].iter().rposition(|&b| b == b'\n')
                    {
                        start += last + 1;
                    }
                }
                None if carried + (data.len() - start) as u64 > self.max_line => break Some(start),
                None => {
                    self.since_newline = carried + (data.len() - start) as u64;
                    break None;
                }
            }
        };
        if let Some(at) = cut {
            self.len = at;
            self.too_long = true;
            if at == 0 {
                return Err(self.too_long_error());
            }
        }
        Ok(())
    }

    pub(super) fn too_long_error(&self) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidData, LineTooLong(self.max_line))
    }

    /// Refills the buffer; leaves it empty only at the end of the input.
    pub(super) fn fill(&mut self) -> io::Result<()> {
        if self.too_long {
            return Err(self.too_long_error());
        }
        loop {
            let mut n = 0;
            if self.held_cr {
                self.buf[0] = b'\r';
                self.held_cr = false;
                n = 1;
            }
            let m = self.inner.read(&mut self.buf[n..])?;
            let total = n + m;
            (self.pos, self.len) = (0, total);
            if m == 0 || !self.buf[..total].contains(&b'\r') {
                return self.measure();
            }
            let mut w = 0;
            for i in 0..total {
                let b = self.buf[i];
                if b == b'\r' && i + 1 < total && self.buf[i + 1] == b'\n' {
                    continue;
                }
                self.buf[w] = b;
                w += 1;
            }
            if self.buf[total - 1] == b'\r' {
                self.held_cr = true;
                w -= 1;
            }
            self.len = w;
            if w > 0 {
                return self.measure();
            }
        }
    }
}

impl<R: Read> Read for Crlf<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.pos == self.len {
            self.fill()?;
        }
        let n = out.len().min(self.len - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

pub(super) struct HashingReader<R> {
    pub(super) inner: R,
    pub(super) hasher: Sha256,
    pub(super) bytes: u64,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}
