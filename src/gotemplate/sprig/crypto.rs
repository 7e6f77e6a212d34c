//! sprig's content hashes (`sha1sum`, `sha256sum`, `adler32sum`); SHA-1 is written out here
//! rather than adding a crate for one 60-line function.

use sha2::{Digest, Sha256};

use super::conv::str_arg;
use crate::gotemplate::funcs::{FuncMap, Ty, sig};
use crate::gotemplate::value::Value;

pub fn register(m: &mut FuncMap) {
    m.insert("sha256sum", sig(&[Ty::Str]), |_, a| {
        Ok(Value::str(hex(&Sha256::digest(str_arg(&a[0]).as_bytes()))))
    });
    m.insert("sha1sum", sig(&[Ty::Str]), |_, a| {
        Ok(Value::str(hex(&sha1(str_arg(&a[0]).as_bytes()))))
    });
    m.insert("adler32sum", sig(&[Ty::Str]), |_, a| {
        Ok(Value::str(adler32(str_arg(&a[0]).as_bytes()).to_string()))
    });
}

fn hex(bytes: &[u8]) -> String {
    // Without a `format!` per byte: templates hash once per line or more.
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    out
}

/// Adler-32, as Go's hash/adler32 (and werf's `tpl` template names) compute it.
pub fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in data {
        a = (a + u32::from(byte)) % 65521;
        b = (b + a) % 65521;
    }
    (b << 16) | a
}

fn sha1(data: &[u8]) -> [u8; 20] {
    let mut h: [u32; 5] = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0];
    let mut message = data.to_vec();
    let bit_len = (data.len() as u64).wrapping_mul(8);
    message.push(0x80);
    while message.len() % 64 != 56 {
        message.push(0);
    }
    message.extend_from_slice(&bit_len.to_be_bytes());
    for block in message.chunks(64) {
        let mut w = [0u32; 80];
        for i in 0..16 {
            w[i] = u32::from_be_bytes([
                block[4 * i],
                block[4 * i + 1],
                block[4 * i + 2],
                block[4 * i + 3],
            ]);
        }
        for i in 16..80 {
            w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
        }
        let [mut a, mut b, mut c, mut d, mut e] = h;
        for (i, &wi) in w.iter().enumerate() {
            let (f, k) = match i {
                0..=19 => ((b & c) | (!b & d), 0x5A827999),
                20..=39 => (b ^ c ^ d, 0x6ED9EBA1),
                40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1BBCDC),
                _ => (b ^ c ^ d, 0xCA62C1D6),
            };
            let temp = a
                .rotate_left(5)
                .wrapping_add(f)
                .wrapping_add(e)
                .wrapping_add(k)
                .wrapping_add(wi);
            e = d;
            d = c;
            c = b.rotate_left(30);
            b = a;
            a = temp;
        }
        for (slot, v) in h.iter_mut().zip([a, b, c, d, e]) {
            *slot = slot.wrapping_add(v);
        }
    }
    let mut out = [0u8; 20];
    for (i, word) in h.iter().enumerate() {
        out[4 * i..4 * i + 4].copy_from_slice(&word.to_be_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn hashes() {
        assert_eq!(
            super::hex(&super::sha1(b"abc")),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert_eq!(super::adler32(b"Wikipedia"), 0x11E60398);
    }
}
