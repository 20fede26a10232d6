//! Frames on the audit connection and the messages they carry.
//!
//! A frame is a type byte, a big-endian u32 payload length and the payload. Control
//! messages are JSON; element batches are a field byte followed by 32-byte elements. Every
//! length is bounded before anything is allocated, and every decoder returns an error on
//! bytes it does not expect (the peer may be hostile; `fuzz/fuzz_targets/audit.rs`).
use crate::oprf::Element;
use crate::{AuditField, Error, FieldCounts};
use breachcheck_index::CommitmentLeaf;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::{Read, Write};

/// Protocol name and version, in both hellos and the transcript.
pub const PROTOCOL: &str = "breachcheck.audit/v1";
/// Largest JSON control message.
pub const MAX_JSON: usize = 1 << 20;
/// Elements per batch frame.
pub const ELEMENTS_PER_FRAME: usize = 1 << 16;
/// Largest frame of any kind (a full element batch or a filter chunk).
pub const MAX_FRAME: usize = 1 + ELEMENTS_PER_FRAME * 32;
/// Filter bytes per frame.
pub const FILTER_CHUNK: usize = 1 << 21;

/// What a frame carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Kind {
    /// Client → server: [`ClientHello`].
    ClientHello = 1,
    /// Server → client: [`SignedServerHello`].
    ServerHello = 2,
    /// Client → server: blinded elements of one field.
    Blinded = 3,
    /// Server → client: evaluated elements of one field, shuffled.
    Evaluated = 4,
    /// Server → client: field byte and the 64-byte DLEQ proof over the field's sums.
    Proof = 5,
    /// Server → client: a piece of a set filter.
    Filter = 6,
    /// Client → server: [`SignRequest`].
    Sign = 7,
    /// Server → client: [`Countersignature`].
    Countersign = 8,
    /// Either way: the sender gives up, with a reason (UTF-8, no values).
    Abort = 9,
    /// Client → server, instead of a hello: asks for [`ServerInfo`] (no audit follows).
    Info = 10,
    /// Server → client: [`ServerInfo`].
    ServerInfo = 11,
}

impl Kind {
    fn from_u8(b: u8) -> Option<Kind> {
        Some(match b {
            1 => Kind::ClientHello,
            2 => Kind::ServerHello,
            3 => Kind::Blinded,
            4 => Kind::Evaluated,
            5 => Kind::Proof,
            6 => Kind::Filter,
            7 => Kind::Sign,
            8 => Kind::Countersign,
            9 => Kind::Abort,
            10 => Kind::Info,
            11 => Kind::ServerInfo,
            _ => return None,
        })
    }

    fn max_len(self) -> usize {
        match self {
            Kind::ClientHello | Kind::ServerHello | Kind::Sign | Kind::Countersign => MAX_JSON,
            Kind::Blinded | Kind::Evaluated => MAX_FRAME,
            Kind::Proof => 65,
            Kind::Filter => FILTER_CHUNK,
            Kind::Abort => 4096,
            Kind::Info => 0,
            Kind::ServerInfo => MAX_JSON,
        }
    }
}

/// One frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// What it carries.
    pub kind: Kind,
    /// Its payload.
    pub payload: Vec<u8>,
}

impl Frame {
    /// Decodes one frame from the front of `bytes`; returns it and the bytes used.
    pub fn decode(bytes: &[u8]) -> Result<(Frame, usize), Error> {
        if bytes.len() < 5 {
            return Err(Error::Protocol("truncated frame header".into()));
        }
        let (kind, len) = header(bytes[..5].try_into().unwrap_or([0; 5]))?;
        let payload = bytes
            .get(5..5 + len)
            .ok_or_else(|| Error::Protocol("truncated frame".into()))?;
        Ok((
            Frame {
                kind,
                payload: payload.to_vec(),
            },
            5 + len,
        ))
    }
}

fn header(h: [u8; 5]) -> Result<(Kind, usize), Error> {
    // A TLS record (handshake 22 or alert 21, version 3.x) where a frame was expected: the
    // peer speaks TLS on what this side thinks is a plaintext connection.
    if matches!(h[0], 21 | 22) && h[1] == 3 {
        return Err(Error::PeerSpeaksTls(
            "the auditor connects with --tls-ca, the company serves with --tls-cert and --tls-key",
        ));
    }
    let kind = Kind::from_u8(h[0])
        .ok_or_else(|| Error::Protocol(format!("unknown frame type {}", h[0])))?;
    let len = u32::from_be_bytes([h[1], h[2], h[3], h[4]]) as usize;
    if len > kind.max_len() {
        return Err(Error::Protocol(format!(
            "{kind:?} frame of {len} bytes exceeds the limit of {}",
            kind.max_len()
        )));
    }
    Ok((kind, len))
}

/// A connection that hashes every frame it sends and receives, in order, so both sides end
/// with the same transcript hash.
pub struct Channel<S> {
    stream: S,
    hash: Sha256,
    /// Bytes sent.
    pub sent: u64,
    /// Bytes received.
    pub received: u64,
}

impl<S: Read + Write> Channel<S> {
    /// Wraps a connected stream.
    pub fn new(stream: S) -> Self {
        Channel {
            stream,
            hash: Sha256::new(),
            sent: 0,
            received: 0,
        }
    }

    /// The hash of every frame so far.
    pub fn transcript_hash(&self) -> [u8; 32] {
        self.hash.clone().finalize().into()
    }

    /// Sends one frame.
    pub fn send(&mut self, kind: Kind, payload: &[u8]) -> Result<(), Error> {
        debug_assert!(payload.len() <= kind.max_len());
        let mut h = [0u8; 5];
        h[0] = kind as u8;
        h[1..].copy_from_slice(&(payload.len() as u32).to_be_bytes());
        self.hash.update(h);
        self.hash.update(payload);
        self.stream.write_all(&h).map_err(Error::Io)?;
        self.stream.write_all(payload).map_err(Error::Io)?;
        self.sent += 5 + payload.len() as u64;
        Ok(())
    }

    /// Sends a JSON control message.
    pub fn send_json<T: Serialize>(&mut self, kind: Kind, msg: &T) -> Result<(), Error> {
        let bytes = serde_json::to_vec(msg).map_err(|e| Error::Protocol(e.to_string()))?;
        self.send(kind, &bytes)?;
        self.flush()
    }

    /// Flushes buffered output.
    pub fn flush(&mut self) -> Result<(), Error> {
        self.stream.flush().map_err(Error::Io)
    }

    /// Tells the peer why this side gives up (best effort).
    pub fn abort(&mut self, reason: &str) {
        let r: String = reason.chars().take(1000).collect();
        let _ = self.send(Kind::Abort, r.as_bytes());
        let _ = self.flush();
    }

    /// Receives the next frame, which must be of kind `want`; an `Abort` from the peer
    /// becomes [`Error::PeerAborted`].
    pub fn recv(&mut self, want: Kind) -> Result<Vec<u8>, Error> {
        self.recv_one_of(&[want]).map(|(_, p)| p)
    }

    /// Receives the next frame, which must be of one of the kinds `want`.
    pub fn recv_one_of(&mut self, want: &[Kind]) -> Result<(Kind, Vec<u8>), Error> {
        let mut h = [0u8; 5];
        self.stream.read_exact(&mut h).map_err(Error::Io)?;
        let (kind, len) = header(h)?;
        let mut payload = vec![0u8; len];
        self.stream.read_exact(&mut payload).map_err(Error::Io)?;
        self.received += 5 + len as u64;
        if kind == Kind::Abort {
            return Err(Error::PeerAborted(
                String::from_utf8_lossy(&payload)
                    .chars()
                    .take(1000)
                    .collect(),
            ));
        }
        if !want.contains(&kind) {
            return Err(Error::Protocol(format!("expected {want:?}, got {kind:?}")));
        }
        self.hash.update(h);
        self.hash.update(&payload);
        Ok((kind, payload))
    }

    /// Receives a JSON control message of kind `want`.
    pub fn recv_json<T: for<'de> Deserialize<'de>>(&mut self, want: Kind) -> Result<T, Error> {
        let bytes = self.recv(want)?;
        parse_json(&bytes)
    }

    /// Sends `elements` of `field` in frames of at most [`ELEMENTS_PER_FRAME`].
    pub fn send_elements(
        &mut self,
        kind: Kind,
        field: AuditField,
        elements: &[Element],
    ) -> Result<(), Error> {
        for chunk in elements.chunks(ELEMENTS_PER_FRAME) {
            let mut payload = Vec::with_capacity(1 + chunk.len() * 32);
            payload.push(field as u8);
            for e in chunk {
                payload.extend_from_slice(e);
            }
            self.send(kind, &payload)?;
        }
        self.flush()
    }

    /// Receives exactly `count` elements of `field`.
    pub fn recv_elements(
        &mut self,
        kind: Kind,
        field: AuditField,
        count: usize,
    ) -> Result<Vec<Element>, Error> {
        let mut out: Vec<Element> = Vec::with_capacity(count.min(1 << 24));
        while out.len() < count {
            let payload = self.recv(kind)?;
            let (f, elements) = parse_elements(&payload)?;
            if f != field {
                return Err(Error::Protocol(format!(
                    "expected {} elements, got {}",
                    field.as_str(),
                    f.as_str()
                )));
            }
            if out.len() + elements.len() > count {
                return Err(Error::Protocol("more elements than announced".into()));
            }
            out.extend(elements);
        }
        Ok(out)
    }
}

/// Parses a JSON control message.
pub fn parse_json<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T, Error> {
    serde_json::from_slice(bytes).map_err(|e| Error::Protocol(format!("malformed message: {e}")))
}

/// Splits an element-batch payload into its field and elements.
pub fn parse_elements(payload: &[u8]) -> Result<(AuditField, Vec<Element>), Error> {
    let (&f, rest) = payload
        .split_first()
        .ok_or_else(|| Error::Protocol("empty element frame".into()))?;
    let field =
        AuditField::from_u8(f).ok_or_else(|| Error::Protocol(format!("unknown field {f}")))?;
    if rest.is_empty() || rest.len() % 32 != 0 {
        return Err(Error::Protocol(
            "element frame is not a whole number of elements".into(),
        ));
    }
    let elements = rest
        .chunks_exact(32)
        .map(|c| {
            let mut e = [0u8; 32];
            e.copy_from_slice(c);
            e
        })
        .collect();
    Ok((field, elements))
}

/// Splits a proof payload into its field and proof.
pub fn parse_proof(payload: &[u8]) -> Result<(AuditField, [u8; 64]), Error> {
    if payload.len() != 65 {
        return Err(Error::Protocol("a proof frame is 65 bytes".into()));
    }
    let field = AuditField::from_u8(payload[0])
        .ok_or_else(|| Error::Protocol(format!("unknown field {}", payload[0])))?;
    let mut p = [0u8; 64];
    p.copy_from_slice(&payload[1..]);
    Ok((field, p))
}

/// The auditor's opening message.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ClientHello {
    /// [`PROTOCOL`].
    pub protocol: String,
    /// Fresh random 32 bytes, hex: binds the session (no replay of old answers).
    pub nonce: String,
    /// The auditor's ed25519 public key, hex.
    pub auditor_key: String,
    /// Normalization rules the auditor canonicalized with.
    pub rules_version: u32,
    /// Distinct values per field the auditor will send (check elements not counted).
    pub values: FieldCounts,
}

/// One audit set the company serves.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct SetInfo {
    /// SHA-256 of the filter bytes, hex (as in the commitment leaf).
    pub sha256: String,
    /// Filter size in bytes.
    pub bytes: u64,
    /// Elements per field.
    pub values: FieldCounts,
}

/// The company's answer to the hello: what it commits to for this audit.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ServerHello {
    /// [`PROTOCOL`].
    pub protocol: String,
    /// The server's fresh nonce, hex.
    pub nonce: String,
    /// The client's nonce, echoed.
    pub client_nonce: String,
    /// The company's ed25519 public key, hex.
    pub server_key: String,
    /// OPRF suite.
    pub suite: String,
    /// OPRF public key, hex.
    pub oprf_public_key: String,
    /// Rules the index was built with.
    pub rules_version: u32,
    /// Fingerprint of the company key (bound into the commitment).
    pub key_fingerprint: String,
    /// The index commitment root, hex.
    pub commitment: String,
    /// Records of the company's systems (the commitment's count).
    pub records: u64,
    /// Every commitment leaf, so the client can recompute the root.
    pub leaves: Vec<CommitmentLeaf>,
    /// The audit sets to be sent, in order.
    pub sets: Vec<SetInfo>,
    /// The regions (ISO alpha-2) in which the company's verify reads a phone number
    /// written without its country code, from its committed segment profiles: the auditor
    /// must canonicalize with the same, or its phone count is not verify's.
    #[serde(default)]
    pub phone_regions: Vec<String>,
}

/// What a company's audit server says about itself before any audit (unsigned: the signed
/// hello of the audit that follows must say the same).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ServerInfo {
    /// [`PROTOCOL`].
    pub protocol: String,
    /// The index commitment root, hex.
    pub commitment: String,
    /// OPRF public key, hex.
    pub oprf_public_key: String,
    /// See [`ServerHello::phone_regions`].
    pub phone_regions: Vec<String>,
}

/// A server hello and the server's signature over its JSON.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SignedServerHello {
    /// The hello.
    pub hello: ServerHello,
    /// ed25519 signature, hex, over the hello's JSON with [`crate::transcript`]'s context.
    pub signature: String,
}

/// The auditor's transcript body and signature, for the server to countersign.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SignRequest {
    /// The transcript body.
    pub body: crate::transcript::TranscriptBody,
    /// The auditor's signature, hex.
    pub signature: String,
}

/// The server's signature over the same body.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Countersignature {
    /// ed25519 signature, hex.
    pub signature: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_bounds_hold() {
        let mut buf = Vec::new();
        {
            let mut ch = Channel::new(std::io::Cursor::new(&mut buf));
            ch.send(Kind::Proof, &[0; 65]).expect("test input");
        }
        let (f, used) = Frame::decode(&buf).expect("test input");
        assert_eq!((f.kind, f.payload.len(), used), (Kind::Proof, 65, 70));
        // A length above the kind's bound is refused before allocation.
        let mut big = vec![Kind::Proof as u8];
        big.extend_from_slice(&1000u32.to_be_bytes());
        assert!(Frame::decode(&big).is_err());
        assert!(Frame::decode(&[42, 0, 0, 0, 0]).is_err());
        assert!(parse_elements(&[0, 1, 2]).is_err());
        assert!(parse_elements(&[7; 33]).is_err());
        assert!(parse_proof(&[0; 64]).is_err());
    }
}
