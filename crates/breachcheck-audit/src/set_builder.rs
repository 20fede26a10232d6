//! Building a segment's audit set while its records stream past (`index build --audit`,
//! `index add-audit`): every stored record's canonical e-mail, phone and name + address
//! evaluated under the audit OPRF key and kept as a set filter. The values themselves come
//! from the pipeline, which reads and canonicalizes records exactly as verify does.
use crate::{AuditField, AuditValues, Error};
use breachcheck_core::SecretKey;

/// The audit set of one segment, built as records stream: OPRF evaluations of the stored
/// records' values, kept as 8-byte identities (24 bytes per record at most) until the
/// set filter is written.
pub struct AuditSetBuilder {
    key: crate::oprf::AuditKey,
    ids: [Vec<u64>; 3],
}

impl AuditSetBuilder {
    /// A builder under the audit OPRF key derived from the company key `key` (the key
    /// whose public half the index commitment records).
    pub fn new(key: &SecretKey) -> Result<Self, Error> {
        let seed = key.derive_subkey(crate::oprf::SEED_CONTEXT);
        Ok(AuditSetBuilder {
            key: crate::oprf::AuditKey::derive(&seed)?,
            ids: Default::default(),
        })
    }

    /// Evaluates one record's canonical values and keeps their identities.
    pub fn add(&mut self, values: &AuditValues) -> Result<(), Error> {
        for f in AuditField::ALL {
            let ids = self.key.evaluate_inputs(values.inputs(f))?;
            self.ids[f as usize].extend(ids);
        }
        Ok(())
    }

    /// The set filter (Golomb-coded, every field's identities together) and its metadata
    /// for the segment (file name and hash are the index writer's to fill in).
    pub fn finish(mut self) -> (Vec<u8>, breachcheck_index::AuditSetMeta) {
        // One vector of every identity, each field's moved in and freed in turn: at 100M
        // records the identities are 1.6 GB, and the filter is made from them in place.
        let mut counts = [0u64; 3];
        for (i, ids) in self.ids.iter_mut().enumerate() {
            ids.sort_unstable();
            ids.dedup();
            counts[i] = ids.len() as u64;
        }
        let mut all = Vec::with_capacity(counts.iter().sum::<u64>() as usize);
        for ids in &mut self.ids {
            all.append(ids);
            *ids = Vec::new();
        }
        let filter = crate::gcs::encode_owned(all);
        let meta = breachcheck_index::AuditSetMeta {
            file: String::new(),
            sha256: String::new(),
            bytes: 0,
            suite: crate::oprf::SUITE.into(),
            oprf_public_key: breachcheck_core::hex(&self.key.public_key()),
            email: counts[0],
            phone: counts[1],
            name_address: counts[2],
        };
        (filter, meta)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_holds_each_value_once_under_the_derived_key() {
        let key = SecretKey::from_bytes([3; 32]);
        let mut b = AuditSetBuilder::new(&key).expect("builder");
        let mut v = AuditValues::default();
        v.push(AuditField::Email, "anna@example.org");
        v.push(AuditField::Phone, "+4915123456789");
        b.add(&v).expect("add");
        // The same record again (another snapshot's copy) adds nothing.
        b.add(&v).expect("add");
        let (filter, meta) = b.finish();
        assert_eq!((meta.email, meta.phone, meta.name_address), (1, 1, 0));
        let derived = crate::oprf::AuditKey::derive(&key.derive_subkey(crate::oprf::SEED_CONTEXT))
            .expect("key");
        assert_eq!(
            meta.oprf_public_key,
            breachcheck_core::hex(&derived.public_key())
        );
        let ids = derived
            .evaluate_inputs(v.inputs(AuditField::Email))
            .expect("evaluate");
        let mut found = vec![false; ids.len()];
        crate::gcs::Decoder::new(&filter)
            .expect("filter")
            .mark_members(&ids, &mut found)
            .expect("members");
        assert_eq!(found, vec![true]);
    }
}
