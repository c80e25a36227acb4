//! The rows of each dataset the generator writes (survey, household, district_admin,
//! open_data_inventory, algorithm_register): their CSV headers, and the draws with the
//! gradients by age, income, education, disability and district deprivation.

use std::io::{self, Write};

use super::{City, Rng, allocation, deprivation};

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

pub(super) fn survey(city: &City, rows: u64, rng: &mut Rng, w: &mut impl Write) -> io::Result<()> {
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

pub(super) fn household(
    city: &City,
    rows: u64,
    rng: &mut Rng,
    w: &mut impl Write,
) -> io::Result<()> {
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

pub(super) fn district_admin(city: &City, rng: &mut Rng, w: &mut impl Write) -> io::Result<()> {
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

pub(super) fn inventory(
    city: &City,
    rows: u64,
    rng: &mut Rng,
    w: &mut impl Write,
) -> io::Result<()> {
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

pub(super) fn register(
    city: &City,
    rows: u64,
    rng: &mut Rng,
    w: &mut impl Write,
) -> io::Result<()> {
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
