//! Tests for `identity`.
