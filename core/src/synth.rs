//! Synthetic, seeded microdata for the pilot cities (Brussels, Dublin, Sofia, Tirana): realistic
//! districts and population shares, priors and gradients from the domain research, written as
//! the CSV files `ingest` reads. Used by `metronode demo`, the tests and the benchmarks.
//!
//! Reproducible: the same city, dataset, row count and seed give the same bytes.

use std::io::{self, Write};

/// A pilot city: districts with populations and the priors its rows are drawn from.
#[derive(Debug, Clone, Copy)]
pub struct City {
    /// Member id.
    pub id: &'static str,
    /// Name.
    pub name: &'static str,
    /// Longitude and latitude of the city centre, where the demo's generated district
    /// boundaries sit.
    pub centre: (f64, f64),
    /// (district code suffix, name, population).
    pub districts: &'static [(&'static str, &'static str, u32)],
    /// Share of persons using the internet in the last 3 months.
    pub use_3m: f64,
    /// Share of users with at least basic skills.
    pub basic_skills_given_use: f64,
    /// Share of households with internet.
    pub hh_internet: f64,
    /// Share using e-government.
    pub egov: f64,
    /// Share of inventoried datasets published open.
    pub open_data: f64,
}

/// Brussels-Capital Region: 19 municipalities, NIS codes, populations of 1 Jan 2022
/// (Woluwe-Saint-Pierre approximate).
pub const BRUSSELS: City = City {
    id: "BEBRU",
    name: "Brussels",
    centre: (4.3517, 50.8503),
    districts: &[
        ("21001", "Anderlecht", 121_394),
        ("21002", "Auderghem", 34_937),
        ("21003", "Berchem-Sainte-Agathe", 25_288),
        ("21004", "Bruxelles", 187_686),
        ("21005", "Etterbeek", 48_223),
        ("21006", "Evere", 43_481),
        ("21007", "Forest", 56_271),
        ("21008", "Ganshoren", 25_202),
        ("21009", "Ixelles", 86_917),
        ("21010", "Jette", 52_604),
        ("21011", "Koekelberg", 21_997),
        ("21012", "Molenbeek-Saint-Jean", 97_102),
        ("21013", "Saint-Gilles", 48_498),
        ("21014", "Saint-Josse-ten-Noode", 26_809),
        ("21015", "Schaerbeek", 130_270),
        ("21016", "Uccle", 84_647),
        ("21017", "Watermael-Boitsfort", 25_190),
        ("21018", "Woluwe-Saint-Lambert", 58_448),
        ("21019", "Woluwe-Saint-Pierre", 42_000),
    ],
    use_3m: 0.93,
    basic_skills_given_use: 0.65,
    hh_internet: 0.93,
    egov: 0.70,
    open_data: 0.6,
};

/// County Dublin: the four local authorities, Census 2022.
pub const DUBLIN: City = City {
    id: "IEDUB",
    name: "Dublin",
    centre: (-6.2603, 53.3498),
    districts: &[
        ("DCC", "Dublin City", 592_713),
        ("FCC", "Fingal", 330_506),
        ("SDCC", "South Dublin", 301_075),
        ("DLR", "Dún Laoghaire-Rathdown", 233_860),
    ],
    use_3m: 0.96,
    basic_skills_given_use: 0.75,
    hh_internet: 0.95,
    egov: 0.80,
    open_data: 0.7,
};

/// Sofia Capital Municipality: 24 districts, 2023 (the last two approximate).
pub const SOFIA: City = City {
    id: "BGSOF",
    name: "Sofia",
    centre: (23.3219, 42.6977),
    districts: &[
        ("01", "Sredets", 24_538),
        ("02", "Krasno selo", 77_082),
        ("03", "Vazrazhdane", 35_918),
        ("04", "Oborishte", 27_543),
        ("05", "Serdika", 41_102),
        ("06", "Poduyane", 68_544),
        ("07", "Slatina", 62_849),
        ("08", "Izgrev", 31_026),
        ("09", "Lozenets", 55_356),
        ("10", "Triaditsa", 67_775),
        ("11", "Krasna polyana", 51_107),
        ("12", "Ilinden", 29_152),
        ("13", "Nadezhda", 63_353),
        ("14", "Iskar", 58_408),
        ("15", "Mladost", 100_924),
        ("16", "Studentski", 61_306),
        ("17", "Vitosha", 72_257),
        ("18", "Ovcha kupel", 54_431),
        ("19", "Lyulin", 101_457),
        ("20", "Vrabnitsa", 42_003),
        ("21", "Novi Iskar", 27_237),
        ("22", "Kremikovtsi", 21_573),
        ("23", "Pancharevo", 26_800),
        ("24", "Bankya", 12_000),
    ],
    use_3m: 0.88,
    basic_skills_given_use: 0.50,
    hh_internet: 0.90,
    egov: 0.40,
    open_data: 0.4,
};

/// Municipality of Tirana: 24 administrative units; census 2023 total 598,176 split over the
/// units synthetically (the research has no per-unit figures).
pub const TIRANA: City = City {
    id: "ALTIA",
    name: "Tirana",
    centre: (19.8187, 41.3275),
    districts: &[
        ("NJ01", "Njësia 1", 52_000),
        ("NJ02", "Njësia 2", 45_000),
        ("NJ03", "Njësia 3", 38_000),
        ("NJ04", "Njësia 4", 41_000),
        ("NJ05", "Njësia 5", 62_000),
        ("NJ06", "Njësia 6", 47_000),
        ("NJ07", "Njësia 7", 49_000),
        ("NJ08", "Njësia 8", 36_000),
        ("NJ09", "Njësia 9", 33_000),
        ("NJ10", "Njësia 10", 44_000),
        ("NJ11", "Njësia 11", 40_000),
        ("BALDUSHK", "Baldushk", 5_000),
        ("BERZHITE", "Bërzhitë", 5_500),
        ("DAJT", "Dajt", 11_000),
        ("FARKE", "Farkë", 20_000),
        ("KASHAR", "Kashar", 32_000),
        ("KRRABE", "Krrabë", 2_000),
        ("NDROQ", "Ndroq", 6_500),
        ("PETRELE", "Petrelë", 5_000),
        ("PEZE", "Pezë", 4_000),
        ("SHENGJERGJ", "Shëngjergj", 1_376),
        ("VAQARR", "Vaqarr", 7_800),
        ("ZALLBASTAR", "Zall-Bastar", 3_500),
        ("ZALLHERR", "Zall-Herr", 2_500),
    ],
    use_3m: 0.85,
    basic_skills_given_use: 0.35,
    hh_internet: 0.95,
    egov: 0.60,
    open_data: 0.3,
};

/// The four pilot cities.
pub const PILOTS: [City; 4] = [BRUSSELS, DUBLIN, SOFIA, TIRANA];

/// A pilot city by member id.
pub fn city(id: &str) -> Option<City> {
    PILOTS.into_iter().find(|c| c.id == id)
}

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

const AGES: [(&str, f64); 7] = [
    ("16_24", 0.14),
    ("25_34", 0.18),
    ("35_44", 0.17),
    ("45_54", 0.16),
    ("55_64", 0.14),
    ("65_74", 0.11),
    ("75_plus", 0.10),
];
const HH_TYPES: [(&str, f64); 5] = [
    ("single_adult", 0.35),
    ("single_parent", 0.08),
    ("couple_no_children", 0.22),
    ("couple_children", 0.25),
    ("other", 0.10),
];
const DSI_LOW: [(&str, f64); 4] =
    [("low", 0.4), ("narrow", 0.3), ("limited", 0.3), ("no_skills", 0.0)];

fn b(x: bool) -> &'static str {
    if x { "1" } else { "0" }
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

fn survey(city: &City, rows: u64, rng: &mut Rng, w: &mut impl Write) -> io::Result<()> {
    writeln!(
        w,
        "ind_id,hh_id,ind_weight,district_code,income_quintile,hh_type,age_band,sex,disability_wg,migrant_background,education_isced3,employment_status,internet_last_use,mobile_phone_own,act_online_consultation_vote,egov_any_12m,dsi_overall,skill_copy_move_files,skill_email_attachment,skill_spreadsheet_formulas,skill_install_software,skill_presentation,skill_transfer_files,skill_write_code,skill_verify_information,prv_any"
    )?;
    let mut n = 0u64;
    for (i, count) in allocation(city, rows).into_iter().enumerate() {
        let (code, _, pop) = city.districts[i];
        let weight = f64::from(pop) * 0.84 / count as f64;
        let dep = deprivation(city, i);
        for _ in 0..count {
            n += 1;
            let age = *rng.pick(&AGES);
            let age_i = AGES.iter().position(|a| a.0 == age).unwrap_or(0);
            let q = 1 + (rng.next_u64() % 5) as u8;
            let edu = *rng.pick(&[
                ("low", 0.25 + 0.1 * dep),
                ("medium", 0.40),
                ("high", 0.35 - 0.1 * dep),
            ]);
            let disab =
                *rng.pick(&[("none", 0.82), ("some_difficulty", 0.13), ("a_lot_or_cannot", 0.05)]);
            let migrant = *rng.pick(&[("native", 0.65), ("born_eu", 0.15), ("born_non_eu", 0.20)]);
            let employment = match age {
                "16_24" => *rng.pick(&[("student", 0.6), ("employed", 0.3), ("unemployed", 0.1)]),
                "65_74" | "75_plus" => {
                    *rng.pick(&[("retired", 0.85), ("employed", 0.05), ("other_inactive", 0.10)])
                }
                _ => {
                    *rng.pick(&[("employed", 0.75), ("unemployed", 0.08), ("other_inactive", 0.17)])
                }
            };
            // Propensity: the city's prior, shifted by age, income, education, disability, place.
            let age_shift = [0.06, 0.06, 0.05, 0.02, -0.05, -0.15, -0.35][age_i];
            let shift = age_shift
                + (f64::from(q) - 3.0) * 0.03
                + match edu {
                    "low" => -0.08,
                    "high" => 0.05,
                    _ => 0.0,
                }
                + if disab == "a_lot_or_cannot" { -0.12 } else { 0.0 }
                - 0.04 * dep;
            let user = rng.chance(city.use_3m + shift);
            let last_use = if user {
                "lt_3m"
            } else {
                *rng.pick(&[("3m_1y", 0.25), ("gt_1y", 0.2), ("never", 0.55)])
            };
            let skills_ok = user && rng.chance(city.basic_skills_given_use + shift * 1.5);
            let dsi = if !user {
                "no_skills"
            } else if skills_ok {
                *rng.pick(&[("basic", 0.55), ("above_basic", 0.45)])
            } else {
                *rng.pick(&DSI_LOW)
            };
            let skill = |rng: &mut Rng, p: f64| {
                b(user && rng.chance(p + if skills_ok { 0.3 } else { 0.0 }))
            };
            write!(
                w,
                "{}-P{n},{}-H{},{weight:.4},{}-{code},{q},{},{age},{},{disab},{migrant},{edu},{employment},{last_use},{},{},{},{dsi}",
                city.id,
                city.id,
                n / 2,
                city.id,
                rng.pick(&HH_TYPES),
                if rng.chance(0.52) { "F" } else { "M" },
                b(rng.chance(0.93 + shift / 3.0)),
                b(user && rng.chance(0.15)),
                b(user && rng.chance(city.egov + shift)),
            )?;
            for p in [0.5, 0.55, 0.3, 0.3, 0.3, 0.45, 0.08, 0.35] {
                write!(w, ",{}", skill(rng, p))?;
            }
            // Privacy actions are asked of internet users of the last 12 months only.
            let prv =
                if matches!(last_use, "lt_3m" | "3m_1y") { b(rng.chance(0.7 + shift)) } else { "" };
            writeln!(w, ",{prv}")?;
        }
    }
    Ok(())
}

fn household(city: &City, rows: u64, rng: &mut Rng, w: &mut impl Write) -> io::Result<()> {
    writeln!(
        w,
        "hh_id,hh_weight,district_code,in_scope_16_74,hh_size,hh_type,income_quintile,hh_internet_access,conn_fixed_bb,dev_desktop,dev_laptop,dev_tablet,dev_smartphone,no_access_reason_not_needed,no_access_reason_cost_equipment,no_access_reason_cost_connection,no_access_reason_lack_skills,no_access_reason_privacy_security,no_access_reason_not_available,no_access_reason_disability"
    )?;
    let mut n = 0u64;
    for (i, count) in allocation(city, rows).into_iter().enumerate() {
        let (code, _, pop) = city.districts[i];
        let weight = f64::from(pop) / 2.2 / count as f64;
        let dep = deprivation(city, i);
        for _ in 0..count {
            n += 1;
            let q = 1 + (rng.next_u64() % 5) as u8;
            let shift = (f64::from(q) - 3.0) * 0.04 - 0.03 * dep;
            let access = rng.chance(city.hh_internet + shift);
            let fixed = access && rng.chance(0.8 + shift);
            let computer = access && rng.chance(0.75 + shift * 2.0);
            let reasons = if access {
                ",,,,,,".to_owned()
            } else {
                let cost = rng.chance(0.35 - shift);
                format!(
                    "{},{},{},{},{},{},{}",
                    b(rng.chance(0.4)),
                    b(cost),
                    b(cost && rng.chance(0.6)),
                    b(rng.chance(0.3)),
                    b(rng.chance(0.1)),
                    b(rng.chance(0.03)),
                    b(rng.chance(0.05))
                )
            };
            writeln!(
                w,
                "{}-H{n},{weight:.4},{}-{code},{},{},{},{q},{},{},{},{},{},{},{reasons}",
                city.id,
                city.id,
                b(rng.chance(0.85)),
                rng.pick(&[("1", 0.35), ("2", 0.3), ("3", 0.15), ("4", 0.13), ("5_plus", 0.07)]),
                rng.pick(&HH_TYPES),
                b(access),
                b(fixed),
                b(computer && rng.chance(0.4)),
                b(computer && rng.chance(0.85)),
                b(access && rng.chance(0.5)),
                b(access && rng.chance(0.97)),
            )?;
        }
    }
    Ok(())
}

fn district_admin(city: &City, rng: &mut Rng, w: &mut impl Write) -> io::Result<()> {
    writeln!(
        w,
        "district_code,population_source,pop_total,wifi_sites_active,pop_within_500m_access_point,bb_subs_total,bb_subs_ge_100m,bb_subs_ge_1g,pop_covered_4g,pop_covered_5g"
    )?;
    for (i, (code, _, pop)) in city.districts.iter().enumerate() {
        let dep = deprivation(city, i);
        let pop = f64::from(*pop);
        let subs = pop * (0.36 - 0.05 * dep);
        writeln!(
            w,
            "{}-{code},census,{},{},{},{},{},{},{},{}",
            city.id,
            pop as u64,
            ((pop / 6000.0) * (1.0 + 0.4 * rng.unit() - 0.3 * dep)).round().max(0.0) as u64,
            (pop * (0.78 - 0.12 * dep).clamp(0.0, 1.0)) as u64,
            subs as u64,
            (subs * 0.6) as u64,
            (subs * (0.15 + 0.1 * rng.unit())) as u64,
            (pop * 0.995) as u64,
            (pop * (0.6 + 0.3 * rng.unit())) as u64,
        )?;
    }
    Ok(())
}

const THEMES: [&str; 6] =
    ["transport", "environment", "economy", "population", "government", "health"];

fn inventory(city: &City, rows: u64, rng: &mut Rng, w: &mut impl Write) -> io::Result<()> {
    writeln!(w, "dataset_id,published_open,theme")?;
    for i in 0..rows {
        writeln!(
            w,
            "{}-DS{i},{},{}",
            city.id,
            b(rng.chance(city.open_data)),
            THEMES[(rng.next_u64() % 6) as usize]
        )?;
    }
    Ok(())
}

fn register(city: &City, rows: u64, rng: &mut Rng, w: &mut impl Write) -> io::Result<()> {
    writeln!(w, "system_id,status,risk_category,dpia_linked,aia_linked,objection_procedure")?;
    for i in 0..rows {
        let status = rng.pick(&[
            ("operational", 0.6),
            ("pilot", 0.2),
            ("development", 0.1),
            ("retired", 0.1),
        ]);
        let risk = rng.pick(&[("minimal", 0.3), ("limited", 0.4), ("high", 0.3)]);
        writeln!(
            w,
            "{}-ALG{i},{status},{risk},{},{},{}",
            city.id,
            b(rng.chance(0.7)),
            b(rng.chance(0.4)),
            b(rng.chance(0.6))
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
