"""Every rate of the synthetic world, in one frozen dataclass.

docs/synthetic-world.md explains each one; tests check that every field is
documented there. Probabilities are per person (population, coverage) or per
source record (noise); a noise whose precondition a record lacks (a swap of
day and month on the 13th, a stale ID for someone who never had a 9-digit
card) is simply not applied, so realised rates are a little lower.

Rates that vary by age or birth cohort are tables under synth/data, with their
sources: missing ID numbers by age and source (missing_ids.csv), year-only
birth dates by cohort (year_only_dates.csv), popular given names by cohort
(given_name_cohorts.csv). The first two have a scale factor here
(missing_id_scale, year_only_scale), so a caller can still turn them up, down or
off with dataclasses.replace.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Rates:
    """Shape of the population, coverage of the sources and noise in their records."""

    # --- population -------------------------------------------------------
    deceased: float = 0.015
    """Share of registry persons who died (2016 onwards); weighted towards the old."""
    migrants: float = 0.12
    """Share of persons whose birth province does not map to where they live now."""
    twins: float = 0.03
    """Share of sibling sets of two or more that contain a pair of twins."""
    home_at_18: float = 0.85
    """Share of 18-year-olds still living with their parents (falls linearly ...)."""
    home_at_29: float = 0.25
    """... to this share at 29; from 30 nobody is counted as a child at home."""
    mother_married: float = 0.92
    """Share of mothers with children at home who live with a husband."""
    woman_married: float = 0.80
    """Share of women 25-74 without children at home who live with a husband."""
    woman_married_young: float = 0.30
    """Same, women aged 20-24."""
    woman_married_old: float = 0.35
    """Same, women 75 and over (many are widowed)."""
    elder_joins_family: float = 0.80
    """Share of people 55+ living alone who move in with a son's or daughter's family."""
    mother_family_middle: float = 0.03
    """Share of children (born 1970+) whose middle name is their mother's family name."""
    namesakes: float = 0.34
    """Share of people given the name of another person of their sex and birth year in
    their province (a namesake, synth/namesakes.py): a world of N people is a sample
    of ~101 M, and a real province of ~3 M holds far more namesakes than a sample of it
    does. With namesakes_commune, ~60 % of a 1M world's people have a namesake in their
    province and ~8 % in their commune, as estimated for real ones."""
    namesakes_commune: float = 0.045
    """Share of people given a namesake's name whose household then moves to the
    namesake's commune (same province)."""
    year_only_scale: float = 3.0
    """Multiplies synth/data/year_only_dates.csv: year-only birth dates by cohort, in
    the registry and in source records. 3: the table's rates are a floor (documented
    cases); at 1 popdq's own world gave F1 0.9998 at 100k persons where an independent
    world gives 0.9981, at 3 (with missing_id_scale 3) 0.9986: at least as hard."""
    old_id: float = 0.92
    """Share of people born 1998 or earlier who had a 9-digit ID card (CMND)."""
    old_id_late: float = 0.50
    """Same, born 1999-2002 (card at 14, replaced from 2016)."""
    not_in_registry: float = 0.01
    """Extra persons, as a share of the registry, who appear in sources only."""
    sibling_set_sizes: tuple[float, float, float, float] = (0.40, 0.42, 0.13, 0.05)
    """Shares of 1, 2, 3 and 4 children at home per sibling set (sets are then
    split where a mother's birth year changes or siblings are born < 300 days apart)."""
    husband_age_gap: tuple[float, ...] = (1, 3, 8, 12, 14, 14, 12, 10, 8, 6, 5, 4, 3)
    """Weights of a husband being -2, -1, 0, ... 10 years older than his wife."""
    given_two_syllable_no_middle: float = 0.60
    """Share of people with a two-syllable given name and no middle name (Phạm Bình Minh)."""

    # --- coverage of the sources ------------------------------------------
    social_insurance: float = 0.40
    """Share of people aged 18-62 (at the reference date or at death) with a BHXH record."""
    tax: float = 0.27
    """Share of people aged 18-69 with a tax registration."""
    tax_elderly: float = 0.08
    """Same, aged 70 and over."""
    health_insurance: float = 0.87
    """Share of everybody with a BHYT card."""
    duplicate: float = 0.01
    """Share of (person, source) pairs with two or more records in that source."""
    triplicate: float = 0.10
    """Share of those duplicated pairs that have three records rather than two."""
    deceased_active: float = 0.30
    """Share of a deceased person's source records still active (BHXH active, tax
    active, BHYT card valid to 2027-12-31 or later)."""
    si_suspended: float = 0.10
    """Share of living people's BHXH records that are suspended."""
    si_closed: float = 0.08
    """Share of living people's BHXH records that are closed."""
    tax_inactive: float = 0.15
    """Share of living people's tax registrations that are inactive."""
    card_expired: float = 0.07
    """Share of living people's BHYT cards that expired before 2026-01-01."""
    bhxh_code_is_id: float = 0.20
    """Share of BHXH records keyed by the 12-digit personal ID instead of the BHXH number."""
    tax_code_is_id: float = 0.15
    """Share of tax records whose tax code is the 12-digit personal ID."""
    tax_code_suffix: float = 0.04
    """Share of MST tax codes carrying a -NNN branch suffix."""
    card_is_bhxh: float = 0.25
    """Share of BHYT cards shown as the 10-digit BHXH number (cards from 2021)."""
    card_is_id: float = 0.15
    """Share of BHYT cards shown as the 12-digit personal ID (from Aug 2025)."""
    card_student: float = 0.50
    """Share of 18-22 year olds whose card is a student's (SV)."""
    card_employee: float = 0.85
    """Share of BHXH payers whose card is an employee's (DN); the rest are civil servants (HC)."""
    card_social_assistance: float = 0.30
    """Share of people 80+ (not paying BHXH) on a social assistance card (BT)."""
    card_retired: float = 0.50
    """Share of other people 60+ on a retiree's card (HT)."""
    card_near_poor: float = 0.05
    """Share of other adults on a near-poor household card (CN); the rest are GD."""
    address_empty: float = 0.30
    """Share of source records with an empty address."""

    # --- noise: names (formatting, raises no kind; Telex, VNI and mojibake are
    # stored garbage: name_mismatch where they change the name) ---------------
    name_no_diacritics: float = 0.12
    name_nfd: float = 0.04
    name_tone_convention: float = 0.06
    """Tone on the main vowel (hoà, thuỷ) instead of the registry's hòa, thủy."""
    name_eth: float = 0.02
    """Ð (U+00D0) typed for Đ."""
    name_telex: float = 0.01
    name_vni: float = 0.005
    name_miscomposed: float = 0.01
    """Tone on the wrong half of ươ (lựơng for lượng)."""
    name_mojibake: float = 0.003
    """UTF-8 read as Windows-1252 and saved again (Nguyá»…n); only names whose mojibake
    holds no control character (a loader sets those aside)."""
    name_upper: float = 0.10
    name_lower: float = 0.02
    name_extra_spaces: float = 0.03
    # --- noise: names (substantive, name_mismatch) --------------------------
    name_typo: float = 0.012
    """One consonant replaced by a neighbouring key."""
    name_wrong_tone: float = 0.008
    name_tone_confusable: float = 0.70
    """Share of wrong tones on a hỏi/ngã syllable that swap the two (Nguyễn → Nguyển)."""
    name_dropped_middle: float = 0.008
    name_western_order: float = 0.005
    name_added_part: float = 0.004
    name_empty: float = 0.001
    """Empty full_name (missing_field)."""

    # --- noise: dates of birth ---------------------------------------------
    dob_formats: tuple[float, float, float, float] = (0.60, 0.12, 0.10, 0.18)
    """Shares of dd/mm/yyyy, d/m/yyyy, dd-mm-yyyy and yyyy-mm-dd for full dates."""
    dob_year_only_formats: tuple[float, float, float] = (0.35, 0.50, 0.15)
    """Shares of yyyy, 01/01/yyyy and 00/00/yyyy among dates written as a year only
    (forms that want a full date get the 01/01 placeholder)."""
    dob_year_only_registry: float = 0.70
    """Share of records written as a year only when the registry has a year only."""
    dob_swap: float = 0.006
    """Day and month swapped (dob_mismatch; only where both are 12 or less and differ)."""
    dob_year_off: float = 0.006
    """Year one off (dob_mismatch)."""
    dob_lunar: float = 0.004
    """Date shifted 20-50 days, as a lunar date would be (dob_mismatch)."""
    dob_impossible: float = 0.002
    """An impossible date such as 30/02 or 31/04 (invalid_format)."""
    dob_impossible_feb29: float = 0.30
    """Share of impossible dates in non-leap years that are 29/02."""
    dob_month_first: float = 0.004
    """mm/dd/yyyy where the day is over 12 (invalid_format)."""
    dob_empty: float = 0.003
    """Empty date_of_birth (missing_field)."""

    # --- noise: identifiers --------------------------------------------------
    id_lost_zero: float = 0.05
    """Leading zero of the 12-digit ID lost (11 digits); formatting."""
    id_separators: float = 0.03
    """Spaces or dashes inside the ID; formatting."""
    id_stale: float = 0.03
    """The 9-digit old ID instead of the 12-digit one (stale_id), where one exists."""
    id_relative: float = 0.004
    """A household member's 12-digit ID (id_mismatch)."""
    id_transposed: float = 0.004
    """Two adjacent different digits of positions 7-12 swapped (id_mismatch)."""
    missing_id_scale: float = 3.0
    """Multiplies synth/data/missing_ids.csv: empty id_number (missing_field) by age and
    source. 3 (about 9.6 % of source records without an ID): see year_only_scale."""
    tax_code_bad_check: float = 0.01
    """Share of MSTs with a wrong check digit (invalid_format)."""
    card_malformed: float = 0.005
    """Share of 15-character BHYT codes that are malformed (invalid_format)."""

    # --- noise: sex and locality ----------------------------------------------
    sex_styles: tuple[float, float, float, float, float] = (0.45, 0.35, 0.08, 0.07, 0.05)
    """Shares of sex written Nam/Nữ, M/F, nam/nữ, NAM/NỮ, m/f."""
    sex_empty: float = 0.02
    sex_flipped: float = 0.004
    """Opposite sex (sex_mismatch)."""
    locality_outdated: float = 0.04
    """Pre-2025 codes (outdated_locality), only for provinces formed by a merger: a
    pre-2025 commune code of the person's commune and its old province code; where there
    is none (or no commune column), a pre-2025 province code that no longer exists, commune
    left empty."""
    locality_empty: float = 0.02
    """Empty province and commune codes; raises no kind."""


RATES = Rates()
"""The rates every world is generated with unless a caller passes others."""
