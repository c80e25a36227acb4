//! Synthetic, seeded microdata for the pilot cities (Brussels, Dublin, Sofia, Tirana): realistic
//! districts and population shares, priors and gradients from the domain research, written as
//! the CSV files `ingest` reads. Used by `metronode demo`, the tests and the benchmarks.
//!
//! Reproducible: the same city, dataset, row count and seed give the same bytes.
//!
//! The parts: `cities` holds the pilot cities' tables (districts, populations, priors), this
//! file the seeded `Rng` and `generate`, `datasets` the rows of each dataset.

mod cities;
mod datasets;

use std::io::{self, Write};

pub use cities::{BRUSSELS, City, DUBLIN, PILOTS, SOFIA, TIRANA, city};
use datasets::{district_admin, household, inventory, register, survey};

/// Datasets the generator writes.
pub const DATASETS: [&str; 5] =
    ["survey", "household", "district_admin", "open_data_inventory", "algorithm_register"];

/// SplitMix64: small, fast, seeded; for synthetic data and reproducible tests and fuzzing,
/// never for a release's noise (anyone who knows the seed predicts it).
#[derive(Debug, Clone)]
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p.clamp(0.0, 1.0)
    }
    fn pick<'a, T>(&mut self, items: &'a [(T, f64)]) -> &'a T {
        let total: f64 = items.iter().map(|i| i.1).sum();
        let mut x = self.unit() * total;
        for (item, w) in items {
            if x < *w {
                return item;
            }
            x -= w;
        }
        &items[items.len() - 1].0
    }
}

impl rand_core::RngCore for Rng {
    fn next_u32(&mut self) -> u32 {
        (Rng::next_u64(self) >> 32) as u32
    }

    fn next_u64(&mut self) -> u64 {
        Rng::next_u64(self)
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for chunk in dest.chunks_mut(8) {
            let bytes = Rng::next_u64(self).to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

fn name_hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |a, b| (a ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// Rows per district in proportion to population, summing to `rows` (at least 1 each).
fn allocation(city: &City, rows: u64) -> Vec<u64> {
    let total: u64 = city.districts.iter().map(|d| u64::from(d.2)).sum();
    let mut alloc: Vec<u64> =
        city.districts.iter().map(|d| (rows * u64::from(d.2) / total).max(1)).collect();
    let sum: u64 = alloc.iter().sum();
    if sum < rows {
        alloc[0] += rows - sum;
    }
    alloc
}

/// A district's deprivation in [-1, 1], stable per district: shifts its digital inclusion.
fn deprivation(city: &City, i: usize) -> f64 {
    let mut r = Rng(0xd15c ^ ((i as u64) << 8) ^ name_hash(city.id));
    r.unit() * 2.0 - 1.0
}

/// Writes `rows` rows of `dataset` for `city` (rows is ignored for district_admin: one per
/// district).
pub fn generate(
    city: &City,
    dataset: &str,
    rows: u64,
    seed: u64,
    out: &mut impl Write,
) -> io::Result<()> {
    let mut rng = Rng(seed ^ name_hash(city.id) ^ name_hash(dataset).rotate_left(17));
    let mut w = io::BufWriter::with_capacity(64 * 1024, out);
    match dataset {
        "survey" => survey(city, rows, &mut rng, &mut w)?,
        "household" => household(city, rows, &mut rng, &mut w)?,
        "district_admin" => district_admin(city, &mut rng, &mut w)?,
        "open_data_inventory" => inventory(city, rows, &mut rng, &mut w)?,
        "algorithm_register" => register(city, rows, &mut rng, &mut w)?,
        other => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("unknown dataset `{other}`"),
            ));
        }
    }
    w.flush()
}

/// Generated district boundaries of a pilot city (GeoJSON): a honeycomb about its centre, one
/// hexagon per district with its code and name. Not the real shapes; the demo publishes them
/// so that its dashboard draws a map.
pub fn boundaries(city: &City) -> String {
    let districts: Vec<(String, String)> = city
        .districts
        .iter()
        .map(|(code, name, _)| (format!("{}-{code}", city.id), (*name).to_owned()))
        .collect();
    crate::geo::honeycomb(&districts, city.centre)
}

#[cfg(test)]
mod tests;
