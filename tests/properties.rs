//! Property tests for the signers' building blocks and CRC-64.

use alioss::oss::crc64;
use alioss::oss::signer::{self, v4, SignableRequest};
use proptest::prelude::*;

fn query_pairs() -> impl Strategy<Value = Vec<(String, String)>> {
    // Distinct names (duplicate names are not meaningful to OSS), any UTF-8 values.
    proptest::collection::btree_map("\\PC{1,12}", "\\PC{0,12}", 0..10)
        .prop_map(|m| m.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn canonical_query_is_independent_of_parameter_order(
        pairs in query_pairs(),
        seed in any::<u64>(),
    ) {
        let mut shuffled = pairs.clone();
        let mut rng = fastrand::Rng::with_seed(seed);
        rng.shuffle(&mut shuffled);
        prop_assert_eq!(v4::canonical_query(&pairs), v4::canonical_query(&shuffled));
        // And so is the whole canonical request.
        let mut a = SignableRequest::new("GET", Some("bucket"), Some("k"));
        a.query = pairs;
        let mut b = a.clone();
        b.query = shuffled;
        prop_assert_eq!(v4::canonical_request(&a, &[]), v4::canonical_request(&b, &[]));
    }

    #[test]
    fn any_utf8_key_round_trips_through_uri_encoding(key in "\\PC{1,64}") {
        let path = signer::uri_encode_path(&key);
        prop_assert!(path.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~/%".contains(&b)));
        prop_assert_eq!(signer::uri_decode(&path), key.clone());
        let q = signer::uri_encode(&key);
        prop_assert!(!q.contains('/'));
        prop_assert_eq!(signer::uri_decode(&q), key.clone());
        // The canonical URI is the encoded key after the bucket.
        prop_assert_eq!(
            v4::canonical_uri(Some("bucket"), Some(&key)),
            format!("/bucket/{path}")
        );
    }

    #[test]
    fn encoded_query_parses_back(pairs in query_pairs()) {
        let encoded = signer::encode_query(&pairs);
        prop_assert_eq!(signer::parse_query(&encoded), pairs);
    }

    #[test]
    fn crc_combine_of_a_random_split_equals_crc_of_the_whole(
        data in proptest::collection::vec(any::<u8>(), 0..4096),
        split in any::<prop::sample::Index>(),
    ) {
        let at = split.index(data.len() + 1);
        let (a, b) = data.split_at(at);
        let combined = crc64::combine(crc64::checksum(a), crc64::checksum(b), b.len() as u64);
        prop_assert_eq!(combined, crc64::checksum(&data));
        let mut streaming = crc64::Crc64::new();
        streaming.update(a);
        streaming.update(b);
        prop_assert_eq!(streaming.value(), combined);
    }
}
