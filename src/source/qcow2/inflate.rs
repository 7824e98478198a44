//! Inflating one compressed qcow2 cluster (raw deflate, as qemu writes with zlib).

use crate::error::{Error, Result};
use miniz_oxide::inflate::core::{decompress, inflate_flags, DecompressorOxide};
use miniz_oxide::inflate::TINFLStatus;

/// Inflates `input` into exactly `cluster_size` bytes. The stream must end at the
/// cluster's end: a stream that produces more (a decompression bomb) or less is
/// refused. Trailing input after the stream's end is ignored (the on-disk length
/// counts whole sectors).
pub fn cluster(input: &[u8], cluster_size: usize) -> Result<Vec<u8>> {
    // One byte more than a cluster shows whether the stream wants to go on.
    let mut out = vec![0u8; cluster_size.saturating_add(1)];
    let mut state = Box::<DecompressorOxide>::default();
    let flags = inflate_flags::TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF;
    let (status, _, written) = decompress(&mut state, input, &mut out, 0, flags);
    match status {
        TINFLStatus::Done if written == cluster_size => {
            out.truncate(cluster_size);
            Ok(out)
        }
        TINFLStatus::Done => Err(Error::corrupt(format!(
            "compressed cluster inflates to {written} bytes, not {cluster_size}"
        ))),
        TINFLStatus::HasMoreOutput => Err(Error::corrupt(format!(
            "compressed cluster inflates to more than one cluster ({cluster_size} bytes)"
        ))),
        s => Err(Error::corrupt(format!(
            "compressed cluster is not valid deflate data ({s:?})"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use miniz_oxide::deflate::compress_to_vec;

    #[test]
    fn exact_cluster_inflates_and_others_are_refused() {
        let data: Vec<u8> = (0..4096u32).map(|i| (i * 7 % 251) as u8).collect();
        let stream = compress_to_vec(&data, 6);
        let mut packed = stream.clone();
        packed.extend_from_slice(&[0xAA; 300]); // sector padding is ignored
        assert_eq!(cluster(&packed, 4096).unwrap(), data);
        // A bomb: a megabyte of zeros where one 4 KiB cluster is expected.
        let bomb = compress_to_vec(&vec![0u8; 1 << 20], 9);
        assert!(cluster(&bomb, 4096).is_err());
        // Too short and garbage.
        assert!(cluster(&compress_to_vec(&data[..100], 6), 4096).is_err());
        assert!(cluster(&[0xff; 64], 4096).is_err());
        assert!(cluster(&stream[..stream.len() / 2], 4096).is_err());
    }
}
