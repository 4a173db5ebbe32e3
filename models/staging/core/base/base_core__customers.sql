{#
    Every raw customer row, typed and normalised, with quarantine_reason NULL for the rows
    stg_core__customers exposes. A table: both the stg view and quarantine.quarantined_rows read
    it, and accounts, loans and transactions validate their customer_id against its clean keys.

    Only the id decides whether a customer is kept: an empty or overlong id, or a second row with
    the same id, is quarantined. Every other value is an optional attribute: one that cannot be
    read (a birth date that is not a date, one after the as-of date or a 1/1/1800 placeholder, an
    unknown country code, a negative income) becomes NULL with a data-quality flag in dq_flags,
    and the customer, its accounts and its transactions stay. Gender and marital status map to
    fixed codes ('unknown' when empty or unrecognised); the city is matched case- and
    space-insensitively to the cities seed (with aliases such as Bangalore -> Bengaluru), else
    trimmed and title-cased. Age: full years from the birth date to the as-of date, else the raw
    age, else the middle of the age group ('25-34' -> 29; open-ended '45+' -> 50).
#}
{{ staging_base_model(
    table='customers',
    key=['customer_id'],
    date_columns=['birth_date', 'joined_date'],
    typed=[
        ('customer_id', clean_text('raw_customer_id')),
        ('full_name_text', clean_text('raw_full_name')),
        ('parsed_birth_date', parse_date('raw_birth_date', 'date_order__birth_date', 'past', 'as_of_date')),
        ('age_value', "try_cast(" ~ parse_number('raw_age') ~ " as integer)"),
        ('age_group_text', clean_text('raw_age_group')),
        ('gender_key', normalise_code('raw_gender')),
        ('marital_status_key', normalise_code('raw_marital_status')),
        ('city_key', normalise_code('raw_city')),
        ('city_text', clean_text('raw_city')),
        ('country_key', normalise_code('raw_country_code')),
        ('occupation_text', clean_text('raw_occupation')),
        ('income_value', parse_number('raw_monthly_income')),
        ('parsed_joined_date', parse_date('raw_joined_date', 'date_order__joined_date', 'past', 'as_of_date')),
        ('loyalty_class_text', clean_text('raw_loyalty_class')),
        ('fee_structure_text', clean_text('raw_fee_structure')),
        ('relationship_type_text', clean_text('raw_relationship_type')),
        ('nationality_text', clean_text('raw_nationality')),
        ('risk_weighting_value', "try_cast(" ~ parse_number('raw_risk_weighting') ~ " as integer)"),
        ('derived_columns_text', clean_text('raw_derived_columns')),
    ],
    lookups=[
        code_lookup('gender', 'genders', 'typed.gender_key', 'gender_code'),
        code_lookup('marital_status', 'marital_statuses', 'typed.marital_status_key', 'marital_status_code'),
        code_lookup('city', 'city_names', 'typed.city_key', 'canonical_city'),
        (ref('cities'), 'cities', 'city_names.code = cities.city',
            [('city_region', 'cities.region'), ('city_country_code', 'cities.country_code')]),
        code_lookup('country_code', 'countries', 'typed.country_key', 'known_country_code'),
    ],
    checks=[
        ('customer_id is null', 'missing_key', "'customer_id is empty'"),
        check_too_long('customer_id', max_id_length()),
    ],
    attributes=[
        ('full_name', 'full_name_text', [check_too_long('full_name_text', max_text_length())]),
        ('birth_date', 'parsed_birth_date', attribute_date_checks('raw_birth_date', 'parsed_birth_date', 'birth_date')),
        ('age', 'age_value', [
            check_unparseable_number('raw_age', 'age_value', 'age'),
            check_out_of_range('age_value', 'age_value not between 0 and 120', 'age', '0..120'),
        ]),
        ('age_group', 'age_group_text', [check_too_long('age_group_text', max_text_length())]),
        ('gender', 'gender_code', [
            check_unknown_code('gender_key', 'gender_code', 'raw_gender', 'gender', 'code_aliases (gender)'),
        ]),
        ('marital_status', 'marital_status_code', [
            check_unknown_code('marital_status_key', 'marital_status_code', 'raw_marital_status', 'marital_status', 'code_aliases (marital_status)'),
        ]),
        ('city', 'coalesce(canonical_city, ' ~ title_case('raw_city') ~ ')', [check_too_long('city_text', max_text_length())]),
        code_attribute('country_code', 'country_key', 'countries'),
        ('occupation', 'occupation_text', [check_too_long('occupation_text', max_text_length())]),
        ('monthly_income', 'income_value', [
            check_unparseable_number('raw_monthly_income', 'income_value', 'monthly_income'),
            check_finite('income_value', 'monthly_income'),
            check_out_of_range('income_value', 'income_value < 0 or income_value >= 1e16', 'monthly_income', '0..1e16'),
        ]),
        ('joined_date', 'parsed_joined_date', attribute_date_checks('raw_joined_date', 'parsed_joined_date', 'joined_date')),
        ('loyalty_class', 'loyalty_class_text', [check_too_long('loyalty_class_text', max_text_length())]),
        ('fee_structure', 'fee_structure_text', [check_too_long('fee_structure_text', max_text_length())]),
        ('relationship_type', 'relationship_type_text', [check_too_long('relationship_type_text', max_text_length())]),
        ('nationality', 'nationality_text', [check_too_long('nationality_text', max_text_length())]),
        ('risk_weighting', 'risk_weighting_value', [
            check_unparseable_number('raw_risk_weighting', 'risk_weighting_value', 'risk_weighting'),
            check_out_of_range('risk_weighting_value', 'risk_weighting_value not between 1 and 5', 'risk_weighting', '1..5'),
        ]),
    ],
    columns=[
        ('customer_id', 'customer_id'),
        ('full_name', 'full_name'),
        ('birth_date', 'birth_date'),
        ('age', "cast(coalesce("
            ~ dbt.datediff('birth_date', 'as_of_date', 'year')
            ~ " - case when " ~ dbt.dateadd('year', dbt.datediff('birth_date', 'as_of_date', 'year'), 'birth_date') ~ " > as_of_date then 1 else 0 end,"
            ~ " age,"
            ~ " " ~ integer_divide("(try_cast(regexp_extract(age_group, '^(\\d+)\\s*(-|to)\\s*(\\d+)$', 1) as integer) + try_cast(regexp_extract(age_group, '^(\\d+)\\s*(-|to)\\s*(\\d+)$', 3) as integer))", '2') ~ ","
            ~ " try_cast(regexp_extract(age_group, '^(\\d+)\\s*\\+$', 1) as integer) + 5"
            ~ ") as integer)"),
        ('age_group', 'age_group'),
        ('gender', "coalesce(gender, 'unknown')"),
        ('marital_status', "coalesce(marital_status, 'unknown')"),
        ('city', 'city'),
        ('region', 'city_region'),
        ('country_code', 'coalesce(country_code, city_country_code)'),
        ('occupation', 'occupation'),
        ('monthly_income', 'cast(monthly_income as decimal(18, 2))'),
        ('joined_date', 'joined_date'),
        ('loyalty_class', 'loyalty_class'),
        ('fee_structure', 'fee_structure'),
        ('relationship_type', 'relationship_type'),
        ('nationality', 'nationality'),
        ('risk_weighting', 'risk_weighting'),
        ('has_sentinel_birth_date', "coalesce(parsed_birth_date <= cast('1900-01-01' as date), false)"),
        ('derived_columns', 'derived_columns_text'),
    ]
) }}
