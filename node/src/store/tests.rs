//! Tests for `store`.
