//! The pilot cities' tables: districts with their codes and populations, the city centre, and
//! the priors from the domain research that each city's rows are drawn from.

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
