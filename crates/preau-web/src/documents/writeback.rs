//! The disk writes of a file being uploaded, started while its next bytes still arrive.
//!
//! An upload is synced before it is recorded (an acknowledged file is on the disk). Left to
//! itself, the kernel would keep the whole file in the page cache and the final sync would
//! write it all while the client waits. Instead, every `EVERY` bytes, the kernel is told to
//! start writing the bytes that came since, without waiting for them (Linux's
//! `sync_file_range` with `SYNC_FILE_RANGE_WRITE`): the disk works while the network does, and
//! the final sync finds little left. Elsewhere the final sync does it all.
//!
//! This module holds the workspace's only `unsafe` code: that one system call, which takes no
//! pointer (measured in `docs/PERFORMANCE.md`, documents: no safe wrapper of it exists in
//! `std`, `rustix` or `nix`).

use std::fs::File;

/// Bytes written after which their disk writes are started.
const EVERY: u64 = 2 * 1024 * 1024;

/// How much of a file was written, and how much of it the disk was told to write.
#[derive(Default)]
pub struct Writeback {
    written: u64,
    started: u64,
}

impl Writeback {
    /// Counts `n` bytes just written to `file`; starts the disk writes of the last ones once
    /// they reach `EVERY`.
    pub fn wrote(&mut self, file: &File, n: usize) {
        self.written += n as u64;
        if self.written - self.started >= EVERY {
            start_writing(file, self.started, self.written - self.started);
            self.started = self.written;
        }
    }
}

/// Tells the kernel to start writing `len` bytes of `file` from `from` to the disk, without
/// waiting. A hint: whatever it does not write, the final sync does.
#[cfg(target_os = "linux")]
#[expect(unsafe_code, reason = "sync_file_range has no safe wrapper; see the module's documentation")]
fn start_writing(file: &File, from: u64, len: u64) {
    use std::os::fd::AsRawFd;
    let (Ok(from), Ok(len)) = (i64::try_from(from), i64::try_from(len)) else { return };
    // SAFETY: `sync_file_range` takes no pointer, only integers and a descriptor borrowed from
    // `file`, which stays open during the call; it reads and changes no memory of ours.
    let failed = unsafe { libc::sync_file_range(file.as_raw_fd(), from, len, libc::SYNC_FILE_RANGE_WRITE) } != 0;
    if failed {
        tracing::debug!(error = %std::io::Error::last_os_error(), "the disk writes of an upload could not be started early");
    }
}

#[cfg(not(target_os = "linux"))]
fn start_writing(_: &File, _: u64, _: u64) {}

#[cfg(test)]
mod tests {
    use super::{EVERY, Writeback};
    use std::io::{Read, Write};

    /// Disk writes started as the file is written leave it exactly as written.
    #[test]
    fn a_file_written_out_as_it_arrives_holds_every_byte_in_order() -> std::io::Result<()> {
        let path = std::env::temp_dir().join(format!("preau-writeback-{}", std::process::id()));
        let mut f = std::fs::File::create(&path)?;
        let mut writeback = Writeback::default();
        let mut expected = Vec::new();
        for i in 0..50u32 {
            let chunk: Vec<u8> = (0..100_000u32).map(|j| ((i * 7 + j) % 251) as u8).collect();
            f.write_all(&chunk)?;
            writeback.wrote(&f, chunk.len());
            expected.extend_from_slice(&chunk);
        }
        f.sync_all()?;
        let mut read = Vec::new();
        std::fs::File::open(&path)?.read_to_end(&mut read)?;
        std::fs::remove_file(&path)?;
        assert_eq!(read.len(), 5_000_000);
        assert!(read == expected, "the file differs from what was written");
        assert_eq!(writeback.started, 4_200_000, "started twice: at 2,100,000 and 4,200,000 bytes (every {EVERY})");
        Ok(())
    }
}
