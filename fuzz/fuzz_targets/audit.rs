//! What an audit peer may send: frames, element batches, proofs, JSON messages, set
//! filters and transcripts. Any bytes give an answer or an error, never a panic.
#![no_main]
use breachcheck_audit::wire::{self, Channel, Frame, Kind};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // A stream of frames, decoded one after another.
    let mut rest = data;
    while let Ok((f, used)) = Frame::decode(rest) {
        let _ = wire::parse_elements(&f.payload);
        let _ = wire::parse_proof(&f.payload);
        let _ = wire::parse_json::<wire::ClientHello>(&f.payload);
        let _ = wire::parse_json::<wire::SignedServerHello>(&f.payload);
        let _ = wire::parse_json::<wire::SignRequest>(&f.payload);
        rest = &rest[used..];
    }
    // The same bytes read as a connection.
    let mut ch = Channel::new(std::io::Cursor::new(data.to_vec()));
    for kind in [Kind::ServerHello, Kind::Evaluated, Kind::Proof, Kind::Filter] {
        if ch.recv(kind).is_err() {
            break;
        }
    }
    // A set filter, queried.
    if let Ok(d) = breachcheck_audit::gcs::Decoder::new(data) {
        let queries: Vec<u64> = data.chunks(8).map(|c| c.iter().fold(0u64, |a, b| a << 8 | u64::from(*b))).collect();
        let mut found = vec![false; queries.len()];
        let _ = d.mark_members(&queries, &mut found);
    }
    // A transcript.
    if let Ok(t) = serde_json::from_slice::<breachcheck_audit::transcript::Transcript>(data) {
        let _ = t.verify(&Default::default());
    }
});
