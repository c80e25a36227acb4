//! Tests for `federation`.
