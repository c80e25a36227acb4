//! Tests for `ingest`: every catalogue indicator on small hand-made files with answers worked
//! out by hand, missing items, and located errors that never repeat a value.

use super::*;

const HOUSEHOLD: &str = "\
hh_id,hh_weight,district_code,in_scope_16_74,hh_size,hh_type,income_quintile,hh_internet_access,conn_fixed_bb,dev_desktop,dev_laptop,dev_tablet,dev_smartphone,no_access_reason_not_needed,no_access_reason_cost_equipment,no_access_reason_cost_connection,no_access_reason_lack_skills,no_access_reason_privacy_security,no_access_reason_not_available,no_access_reason_disability
h1,100,BEBRU-01,1,2,couple_no_children,5,1,1,1,0,0,1,,,,,,,
h2,200,BEBRU-01,1,1,single_adult,1,1,0,0,0,0,1,,,,,,,
h3,150.5,BEBRU-02,1,4,couple_children,3,1,1,0,1,0,1,,,,,,,
h4,50,BEBRU-02,1,1,single_adult,1,0,0,0,0,0,0,0,1,0,1,0,0,0
h5,25.25,BEBRU-02,0,1,single_adult,,0,0,0,0,0,0,1,0,0,0,0,0,0
h6,300,BEBRU-02,1,3,single_parent,2,true,true,false,false,true,false,,,,,,,
";

const SURVEY: &str = "\
ind_id,hh_id,ind_weight,district_code,income_quintile,hh_type,age_band,sex,disability_wg,migrant_background,education_isced3,employment_status,internet_last_use,mobile_phone_own,act_online_consultation_vote,egov_any_12m,dsi_overall,skill_copy_move_files,skill_email_attachment,skill_spreadsheet_formulas,skill_install_software,skill_presentation,skill_transfer_files,skill_write_code,skill_verify_information,prv_any
p1,h1,10,BEBRU-01,5,couple_no_children,16_24,F,none,native,high,student,lt_3m,1,1,1,above_basic,1,1,1,1,1,1,1,1,1
p2,h1,20,BEBRU-01,5,couple_no_children,25_34,M,none,native,high,employed,lt_3m,1,0,1,basic,1,1,0,0,0,0,0,1,0
p3,h2,30,BEBRU-01,1,single_adult,45_54,F,some_difficulty,born_eu,medium,employed,3m_1y,1,0,0,low,0,0,0,0,0,0,0,0,1
p4,h3,40,BEBRU-02,3,couple_children,65_74,M,a_lot_or_cannot,native,low,retired,never,0,0,0,no_skills,0,0,0,0,0,0,0,0,
p5,h3,50,BEBRU-02,3,couple_children,75_plus,F,none,native,low,retired,never,1,0,0,no_skills,0,0,0,0,0,0,0,0,
p6,h4,60,BEBRU-02,1,single_adult,35_44,F,none,born_non_eu,medium,unemployed,lt_3m,1,1,1,limited,1,0,1,0,1,0,1,0,1
p7,h5,70,BEBRU-02,,single_adult,55_64,M,none,native,low,employed,gt_1y,0,0,0,narrow,0,0,0,0,0,0,0,0,
p8,h6,80,BEBRU-02,2,single_parent,25_34,F,none,born_eu,high,employed,lt_3m,1,0,1,,1,1,1,1,0,0,0,0,0
";

const ADMIN: &str = "\
district_code,population_source,pop_total,wifi_sites_active,pop_within_500m_access_point,bb_subs_total,bb_subs_ge_100m,bb_subs_ge_1g,pop_covered_4g,pop_covered_5g
BEBRU-01,census,1000,3,800,400,300,50,1000,600
BEBRU-02,census,3000,2,1500,1100,500,100,2900,900
";

const INVENTORY: &str = "\
dataset_id,published_open,theme
d1,1,transport
d2,0,transport
d3,1,health
d4,1,environment
d5,0,government
";

const REGISTER: &str = "\
system_id,status,risk_category,dpia_linked,aia_linked,objection_procedure
a1,operational,high,1,0,1
a2,pilot,high,0,0,1
a3,operational,limited,1,1,1
a4,operational,high,1,1,0
";

fn bebru() -> MemberId {
    "BEBRU".parse().unwrap()
}

fn run_ok(dataset: &str, text: &str) -> Tables {
    run(&Catalogue::builtin(), dataset, &bebru(), "test.csv", None, text.as_bytes()).unwrap()
}

fn run_err(dataset: &str, text: &[u8]) -> IngestError {
    run(&Catalogue::builtin(), dataset, &bebru(), "test.csv", None, text).unwrap_err()
}

/// (numerator, denominator) of a total cell, in whole units with decimals as given.
fn total(t: &Tables, id: &str, series: &str) -> (f64, f64) {
    cell(t, id, series, None, "")
}

fn cell(t: &Tables, id: &str, series: &str, dim: Option<&str>, value: &str) -> (f64, f64) {
    let table =
        t.tables.iter().find(|x| x.indicator_id == id).unwrap_or_else(|| panic!("no table {id}"));
    let c = table
        .cells
        .iter()
        .find(|c| c.series == series && c.dimension.as_deref() == dim && c.value == value)
        .unwrap_or_else(|| panic!("no cell {id} {series} {dim:?} {value}"));
    (c.acc.num as f64 / MICRO as f64, c.acc.den as f64 / MICRO as f64)
}

#[test]
fn household_indicators_have_the_known_answers() {
    let t = run_ok("household", HOUSEHOLD);
    assert_eq!(t.rows_read, 6);
    assert_eq!(total(&t, "DRI-ACC-01", "_T"), (750.5, 825.75));
    assert_eq!(cell(&t, "DRI-ACC-01", "_T", Some("district_code"), "BEBRU-01"), (300.0, 300.0));
    assert_eq!(cell(&t, "DRI-ACC-01", "_T", Some("district_code"), "BEBRU-02"), (450.5, 525.75));
    // A missing income quintile is its own cell, so quintiles add up to the total.
    assert_eq!(cell(&t, "DRI-ACC-01", "_T", Some("income_quintile"), "unknown"), (0.0, 25.25));
    assert_eq!(total(&t, "DRI-ACC-02", "_T"), (550.5, 825.75));
    // Mobile-only: conditional on having internet.
    assert_eq!(total(&t, "DRI-ACC-03", "_T"), (200.0, 750.5));
    // Barriers: conditional on not having internet; reasons are separate series.
    assert_eq!(total(&t, "DRI-ACC-04", "_T"), (50.0, 75.25));
    assert_eq!(total(&t, "DRI-ACC-04", "not_needed"), (25.25, 75.25));
    assert_eq!(total(&t, "DRI-ACC-04", "lack_skills"), (50.0, 75.25));
    assert_eq!(total(&t, "DRI-ACC-04", "disability"), (0.0, 75.25));
    let acc04 = t.tables.iter().find(|x| x.indicator_id == "DRI-ACC-04").unwrap();
    assert_eq!((acc04.rows_in_scope, acc04.rows_missing_item), (2, 0));
}

#[test]
fn survey_indicators_have_the_known_answers() {
    let t = run_ok("survey", SURVEY);
    assert_eq!(t.rows_read, 8);
    assert_eq!(total(&t, "DRI-USE-01", "_T"), (170.0, 360.0));
    assert_eq!(total(&t, "DRI-USE-02", "_T"), (90.0, 360.0));
    assert_eq!(cell(&t, "DRI-USE-02", "_T", Some("age_band"), "75_plus"), (50.0, 50.0));
    assert_eq!(total(&t, "DRI-USE-03", "_T"), (250.0, 360.0));
    assert_eq!(cell(&t, "DRI-USE-03", "_T", Some("sex"), "M"), (20.0, 130.0));
    // Skills: 16-74 only; the person with no skills level recorded is left out and counted.
    assert_eq!(total(&t, "DRI-SKL-01", "_T"), (30.0, 230.0));
    for (level, num) in [
        ("no_skills", 40.0),
        ("low", 30.0),
        ("narrow", 70.0),
        ("limited", 60.0),
        ("basic", 20.0),
        ("above_basic", 10.0),
    ] {
        assert_eq!(total(&t, "DRI-SKL-01", level), (num, 230.0), "{level}");
    }
    let skl = t.tables.iter().find(|x| x.indicator_id == "DRI-SKL-01").unwrap();
    assert_eq!((skl.rows_in_scope, skl.rows_missing_item), (7, 1));
    assert_eq!(total(&t, "DRI-SKL-02", "copy_move_files"), (170.0, 310.0));
    assert_eq!(total(&t, "DRI-SKL-02", "email_attachment"), (110.0, 310.0));
    assert_eq!(total(&t, "DRI-SKL-02", "write_code"), (70.0, 310.0));
    assert_eq!(total(&t, "DRI-SKL-02", "verify_information"), (30.0, 310.0));
    // Vulnerable: a non-user counts whatever the skills; a user with skills unknown is missing.
    assert_eq!(total(&t, "DRI-VUL-01", "_T"), (200.0, 230.0));
    assert_eq!(total(&t, "DRI-SVC-01", "_T"), (170.0, 310.0));
    assert_eq!(total(&t, "DRI-PAR-01", "_T"), (70.0, 310.0));
    // Privacy actions: conditional on internet use in the last 12 months.
    assert_eq!(total(&t, "DRI-PRV-01", "_T"), (100.0, 200.0));
}

#[test]
fn admin_and_register_indicators_have_the_known_answers() {
    let t = run_ok("district_admin", ADMIN);
    assert_eq!(t.kind, DatasetKind::Admin);
    assert_eq!(total(&t, "DRI-INF-01", "_T"), (5.0, 4000.0));
    assert_eq!(cell(&t, "DRI-INF-01", "_T", Some("district_code"), "BEBRU-01"), (3.0, 1000.0));
    assert_eq!(total(&t, "DRI-INF-02", "_T"), (2300.0, 4000.0));
    assert_eq!(total(&t, "DRI-INF-03", "_T"), (1500.0, 4000.0));
    assert_eq!(total(&t, "DRI-INF-03", "ge_100m"), (800.0, 4000.0));
    assert_eq!(total(&t, "DRI-INF-03", "ge_1g"), (150.0, 4000.0));
    assert_eq!(total(&t, "DRI-INF-04", "4g"), (3900.0, 4000.0));
    assert_eq!(total(&t, "DRI-INF-04", "5g"), (1500.0, 4000.0));
    let t = run_ok("open_data_inventory", INVENTORY);
    assert_eq!(total(&t, "DRI-GOV-01", "_T"), (3.0, 5.0));
    assert_eq!(cell(&t, "DRI-GOV-01", "_T", Some("theme"), "transport"), (1.0, 2.0));
    let t = run_ok("algorithm_register", REGISTER);
    assert_eq!(total(&t, "DRI-GOV-02", "_T"), (2.0, 3.0));
    assert_eq!(total(&t, "DRI-GOV-02", "aia_linked"), (1.0, 3.0));
    assert_eq!(total(&t, "DRI-GOV-02", "objection_procedure"), (2.0, 3.0));
}

#[test]
fn every_catalogue_indicator_is_covered_by_a_hand_made_file() {
    let mut seen = std::collections::BTreeSet::new();
    for (ds, text) in [
        ("household", HOUSEHOLD),
        ("survey", SURVEY),
        ("district_admin", ADMIN),
        ("open_data_inventory", INVENTORY),
        ("algorithm_register", REGISTER),
    ] {
        for table in run_ok(ds, text).tables {
            assert!(!table.cells.is_empty());
            seen.insert(table.indicator_id);
        }
    }
    let all: std::collections::BTreeSet<_> =
        Catalogue::builtin().indicators.into_iter().map(|i| i.id).collect();
    assert_eq!(seen, all);
    assert!(all.len() >= 19);
}

#[test]
fn the_input_hash_is_of_the_bytes_and_a_bom_is_tolerated() {
    let plain = run_ok("open_data_inventory", INVENTORY);
    assert_eq!(plain.input_sha256, <[u8; 32]>::from(Sha256::digest(INVENTORY.as_bytes())));
    let bom = format!("\u{feff}{INVENTORY}");
    let with_bom = run_ok("open_data_inventory", &bom);
    assert_eq!(total(&with_bom, "DRI-GOV-01", "_T"), (3.0, 5.0));
    assert_ne!(with_bom.input_sha256, plain.input_sha256);
}

#[test]
fn weights_are_parsed_exactly_and_clipped_on_request() {
    assert_eq!(parse_micro("150.5"), Some(150_500_000));
    assert_eq!(parse_micro("0.0000015"), Some(2));
    assert_eq!(parse_micro("7"), Some(7_000_000));
    assert_eq!(parse_micro(".25"), Some(250_000));
    for bad in ["", "-1", "1e3", "1,5", "abc", "1.2.3", "."] {
        assert_eq!(parse_micro(bad), None, "{bad}");
    }
    let t = run(&Catalogue::builtin(), "survey", &bebru(), "s.csv", Some(35), SURVEY.as_bytes())
        .unwrap();
    // Weights above 35 count as 35: 10+20+30+35*5.
    assert_eq!(total(&t, "DRI-USE-01", "_T").1, 235.0);
}

/// The place of every kind of bad input, and that the message never repeats the value.
#[test]
fn bad_input_is_located_and_never_echoed() {
    let e = run_err("survey", b"");
    assert_eq!((e.line, e.message.as_str()), (1, "file is empty: expected a header row"));

    let e = run_err("open_data_inventory", b"dataset_id,published_open,colour\nd1,1,red\n");
    assert_eq!((e.line, e.column.clone()), (1, None));
    assert!(
        e.to_string().starts_with("test.csv:1: header column 3: not a column of dataset"),
        "{e}"
    );
    // A file without its header row: the first row's values are not repeated as column names.
    let e = run_err("open_data_inventory", b"SECRET-ID-1,1,health\n");
    assert!(!e.to_string().contains("SECRET-ID-1") && e.message.contains("header column 1"), "{e}");

    let e = run_err("open_data_inventory", b"dataset_id,theme\nd1,health\n");
    assert!(
        e.message.contains("missing column `published_open`") && e.message.contains("DRI-GOV-01"),
        "{e}"
    );

    let e = run_err(
        "open_data_inventory",
        b"dataset_id,published_open,theme\nd1,1,health\nd2,1,SECRET-CANARY\n",
    );
    assert_eq!((e.line, e.column.clone()), (3, Some((3, "theme".into()))));
    assert!(
        !e.to_string().contains("SECRET-CANARY") && e.message.contains("allowed values"),
        "{e}"
    );

    let bad_weight = SURVEY.replace("p3,h2,30,", "p3,h2,thirty-CANARY,");
    let e = run_err("survey", bad_weight.as_bytes());
    assert_eq!((e.line, e.column.clone()), (4, Some((3, "ind_weight".into()))));
    assert!(!e.to_string().contains("CANARY"));

    let missing_weight = SURVEY.replace("p3,h2,30,", "p3,h2,,");
    assert!(run_err("survey", missing_weight.as_bytes()).message.contains("weight is missing"));

    let truncated = format!("{}p9,h7,1,BEBRU-01,1,single", SURVEY);
    let e = run_err("survey", truncated.as_bytes());
    assert_eq!((e.line, e.column.clone()), (10, Some((7, "age_band".into()))));
    assert!(e.message.contains("truncated") && e.message.contains("found 6"), "{e}");

    let extra =
        SURVEY.replace("lt_3m,1,0,1,,1,1,1,1,0,0,0,0,0\n", "lt_3m,1,0,1,,1,1,1,1,0,0,0,0,0,9\n");
    let e = run_err("survey", extra.as_bytes());
    assert_eq!((e.line, e.column.clone()), (9, Some((27, "past the header".into()))));

    // A quote opened at the start of a field and never closed takes the rest of the file.
    let stray = SURVEY.replace(
        "p3,h2,30,BEBRU-01,1,single_adult,45_54",
        "p3,h2,30,BEBRU-01,1,single_adult,\"45_54",
    );
    let e = run_err("survey", stray.as_bytes());
    assert_eq!((e.line, e.column.clone()), (4, Some((7, "age_band".into()))), "{e}");
    assert!(e.message.contains("stray quote"), "{e}");

    let e = run_err("open_data_inventory", b"dataset_id,published_open,theme\nd1,maybe,health\n");
    assert!(e.message.contains("0/1"), "{e}");

    let e = run_err("district_admin", ADMIN.replace("BEBRU-02", "IEDUB-02").as_bytes());
    assert_eq!(e.line, 3);
    assert!(e.message.contains("BEBRU-"), "{e}");

    let mut latin1 = b"dataset_id,published_open,theme\nd1,1,".to_vec();
    latin1.extend_from_slice(b"sant\xe9\n");
    let e = run_err("open_data_inventory", &latin1);
    assert!(e.message.contains("UTF-8") && e.line == 2, "{e}");

    let mut utf16 = vec![0xff, 0xfe];
    for b in b"dataset_id,published_open\n" {
        utf16.extend_from_slice(&[*b, 0]);
    }
    assert!(run_err("open_data_inventory", &utf16).message.contains("UTF-16"));

    let e = run_err("nonsense", b"a\n");
    assert!(e.message.contains("unknown dataset"), "{e}");
}

#[test]
fn memory_is_per_cell_not_per_row() {
    // 200,000 rows from a generator, never held: the tables stay the same size as for 8 rows.
    struct Rows {
        n: usize,
        buf: Vec<u8>,
        pos: usize,
    }
    impl Read for Rows {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            if self.pos == self.buf.len() {
                if self.n == 0 {
                    return Ok(0);
                }
                self.n -= 1;
                self.buf =
                    format!("d{},{},transport\n", self.n, u8::from(self.n.is_multiple_of(3)))
                        .into_bytes();
                self.pos = 0;
            }
            let k = out.len().min(self.buf.len() - self.pos);
            out[..k].copy_from_slice(&self.buf[self.pos..self.pos + k]);
            self.pos += k;
            Ok(k)
        }
    }
    let header = Rows { n: 0, buf: b"dataset_id,published_open,theme\n".to_vec(), pos: 0 };
    let body = Rows { n: 200_000, buf: Vec::new(), pos: 0 };
    let t = run(
        &Catalogue::builtin(),
        "open_data_inventory",
        &bebru(),
        "big.csv",
        None,
        header.chain(body),
    )
    .unwrap();
    assert_eq!(t.rows_read, 200_000);
    assert_eq!(t.tables[0].cells.len(), 2, "total and one theme, whatever the row count");
    assert_eq!(total(&t, "DRI-GOV-01", "_T"), (66_667.0, 200_000.0));
}

/// The file is read by one thread and typed and summed by several, in batches: the tables are
/// the sum of the batches whatever their order, and an error is the one a reading from the top
/// meets first, even when a later batch or a later column fails too.
#[test]
fn threaded_reading_matches_a_top_down_reading() {
    let rows: Vec<&str> = SURVEY.lines().skip(1).collect();
    let header = SURVEY.lines().next().unwrap();
    let copies = 3 * BATCH / rows.len() + 1; // several batches per worker
    let mut big = format!("{header}\n");
    for _ in 0..copies {
        for row in &rows {
            big.push_str(row);
            big.push('\n');
        }
    }
    let one = run_ok("survey", SURVEY);
    let many = run_ok("survey", &big);
    assert_eq!(many.rows_read, one.rows_read * copies as u64);
    for (a, b) in one.tables.iter().zip(&many.tables) {
        assert_eq!(a.cells.len(), b.cells.len(), "{}", a.indicator_id);
        assert_eq!(a.rows_in_scope * copies as u64, b.rows_in_scope);
        for (x, y) in a.cells.iter().zip(&b.cells) {
            assert_eq!((&x.series, &x.dimension, &x.value), (&y.series, &y.dimension, &y.value));
            assert_eq!(x.acc.den * copies as i128, y.acc.den);
            assert_eq!(x.acc.n_num * copies as u64, y.acc.n_num);
        }
    }

    // A bad weight deep in the file and a bad district code (checked by the reading thread)
    // further on: the weight is reported.
    let mut lines: Vec<String> = big.lines().map(str::to_owned).collect();
    let (weight_at, district_at) = (2 * BATCH + 7, 3 * BATCH + 1);
    lines[weight_at] = lines[weight_at].replacen(",BEBRU-0", "-CANARY,BEBRU-0", 1);
    lines[district_at] = lines[district_at].replacen("BEBRU-0", "IEDUB-0", 1);
    let e = run_err("survey", lines.join("\n").as_bytes());
    assert_eq!((e.line, e.column.clone()), (weight_at as u64 + 1, Some((3, "ind_weight".into()))));
    assert!(!e.to_string().contains("CANARY"));
    // The district first, then the weight: the district.
    let mut swapped = lines.clone();
    swapped.swap(weight_at, district_at);
    let e = run_err("survey", swapped.join("\n").as_bytes());
    assert_eq!(
        (e.line, e.column.clone()),
        (weight_at as u64 + 1, Some((4, "district_code".into())))
    );
    // Both in one row: the earlier column, as a reading from the left meets it.
    lines[district_at] = lines[weight_at].replacen("BEBRU-0", "IEDUB-0", 1);
    let e = run_err("survey", lines[..=district_at].join("\n").as_bytes());
    assert_eq!(e.line, weight_at as u64 + 1, "the earlier row still comes first");
    let e = run_err(
        "survey",
        [&lines[0], &lines[district_at]].map(String::as_str).join("\n").as_bytes(),
    );
    assert_eq!((e.line, e.column.clone()), (2, Some((3, "ind_weight".into()))));
}

/// Sums are kept in 64 bits while reading and moved to 128 bits before they would overflow: the
/// totals stay exact for counts summed past 2^63 millionths, and for a weight times a count
/// beyond 64 bits in one row.
#[test]
fn sums_past_64_bits_stay_exact() {
    // 3000 districts rows at the largest count: 3000 * 4294967295 * 10^6 > i64::MAX.
    let mut admin = ADMIN.lines().next().unwrap().to_owned();
    for i in 0..3000 {
        let max = u32::MAX;
        admin.push_str(&format!("\nBEBRU-{:02},census,{max},{max},1,1,1,1,1,1", i % 7));
    }
    let t = run_ok("district_admin", &admin);
    let table = t.tables.iter().find(|x| x.indicator_id == "DRI-INF-01").unwrap();
    let expected = 3000 * i128::from(u32::MAX) * i128::from(MICRO);
    assert!(expected > i128::from(i64::MAX));
    assert_eq!((table.cells[0].acc.den, table.cells[0].acc.num), (expected, expected));
    let by_district: i128 = table.cells[1..].iter().map(|c| c.acc.den).sum();
    assert_eq!(by_district, expected);

    // A weighted count: the largest weight (12 digits) times a count near 2^32, beyond 64 bits.
    let schema = r#"version = "t"
[[dataset]]
name = "visits"
kind = "admin"
description = "d"
columns = [
  { name = "id", type = "id" },
  { name = "w", type = "weight" },
  { name = "visits", type = "count" },
  { name = "kind", type = "enum", values = ["a", "b"], dimension = true },
]
"#;
    let catalogue = Catalogue::parse(
        schema,
        "microdata.toml",
        r#"version = "t"
[[indicator]]
id = "X-1"
name = "n"
definition = "d"
standard = "s"
rights_areas = []
dataset = "visits"
weight = "w"
numerator = "visits"
unit = "per_100"
denominator_basis = "b"
scope_note = "s"
disaggregations = ["kind"]
aggregation = "ratio_of_sums"
polarity = "higher_is_better"
"#,
        "indicators.toml",
    )
    .unwrap();
    let text = "id,w,visits,kind\nr1,999999999999.5,4000000000,a\nr2,999999999999.5,4000000000,a\nr3,1,1,b\n";
    let t = run(&catalogue, "visits", &bebru(), "v.csv", None, text.as_bytes()).unwrap();
    let w = 999_999_999_999_500_000i128;
    let cells = &t.tables[0].cells;
    let (num, den) = (2 * w * 4_000_000_000 + 1_000_000, 2 * w + 1_000_000);
    assert_eq!((cells[0].acc.num, cells[0].acc.den, cells[0].acc.n_num), (num, den, 3));
    let a = cells.iter().find(|c| c.value == "a").unwrap();
    assert_eq!((a.acc.num, a.acc.den), (2 * w * 4_000_000_000, 2 * w));
}

/// A file saved with CRLF line ends (Excel on Windows) gets the same lines in its errors as
/// the same file with LF.
#[test]
fn crlf_files_are_located_like_lf_files() {
    let lf: &[u8] = b"dataset_id,published_open,theme\nd1,1,health\nd2,1,nope\nd3,1,health\n";
    let crlf = String::from_utf8(lf.to_vec()).unwrap().replace('\n', "\r\n");
    let (a, b) =
        (run_err("open_data_inventory", lf), run_err("open_data_inventory", crlf.as_bytes()));
    assert_eq!((a.line, a.column.clone()), (3, Some((3, "theme".into()))));
    assert_eq!((b.line, b.column.clone()), (a.line, a.column), "{b}");
    let short = "dataset_id,published_open,theme\r\nd1,1,health\r\nd2,1\r\n";
    assert_eq!(run_err("open_data_inventory", short.as_bytes()).line, 3);
}

/// CR LF across read boundaries, lone CRs and a CR at the very end survive the translation.
#[test]
fn crlf_translation_across_chunk_boundaries() {
    struct Trickle<'a>(&'a [u8]);
    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            let n = self.0.len().min(out.len()).min(1);
            out[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }
    for input in [&b"a\r\nb\rc\r\n\r\r\n\r"[..], b"", b"\r", b"\r\n", b"x\r\r\ny"] {
        let mut out = Vec::new();
        Crlf::new(Trickle(input), MAX_LINE_BYTES).read_to_end(&mut out).unwrap();
        let want = String::from_utf8(input.to_vec()).unwrap().replace("\r\n", "\n");
        assert_eq!(String::from_utf8(out).unwrap(), want, "{input:?}");
        let mut out = Vec::new();
        Crlf::new(input, MAX_LINE_BYTES).read_to_end(&mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), want, "{input:?}");
    }
}

#[test]
fn a_line_over_the_limit_is_refused_with_its_line_before_it_fills_memory() {
    // 2 MiB without a line end after eight good rows: refused at line 10 by the default limit.
    let mut text = SURVEY.as_bytes().to_vec();
    text.extend(std::iter::repeat_n(b'x', 2 << 20));
    let e = run_err("survey", &text);
    assert_eq!(e.line, 10, "{e}");
    assert!(
        e.message.contains("longer than 1048576 bytes") && e.message.contains("max_line_bytes")
    );

    // A lower limit catches a long line between two short ones inside one read buffer.
    let long = format!(
        "p9,h7,1,BEBRU-01,1,single_adult,16_24,F,none,native,high,student,lt_3m,1,1,1,above_basic,1,1,1,1,1,1,1,1,{}\n",
        "1".repeat(1500)
    );
    let text = format!("{SURVEY}{long}");
    let e =
        run_with(&Catalogue::builtin(), "survey", &bebru(), "t.csv", None, 1024, text.as_bytes())
            .unwrap_err();
    assert_eq!(e.line, 10, "{e}");
    assert!(e.message.contains("longer than 1024 bytes"), "{e}");
    // Under the limit, the same rows are read.
    let ok =
        run_with(&Catalogue::builtin(), "survey", &bebru(), "t.csv", None, 1024, SURVEY.as_bytes());
    assert_eq!(ok.unwrap().rows_read, 8);
}
