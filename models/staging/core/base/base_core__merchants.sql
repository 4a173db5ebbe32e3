{#
    Every raw merchant row, typed and normalised, with quarantine_reason NULL for the rows
    stg_core__merchants exposes. Only the id decides (empty, overlong or repeated: quarantined).
    The category comes from the raw category when it is a known one, else from the MCC via the
    merchant_categories seed, else 'others'; an unknown category, MCC or country is flagged and
    left out. MCCs are ISO 18245 four-digit codes ('742' is 0742 once leading zeros are restored).
    Cities are matched to the cities seed like customers' cities.
#}
{{ staging_base_model(
    table='merchants',
    key=['merchant_id'],
    typed=[
        ('merchant_id', clean_text('raw_merchant_id')),
        ('merchant_name_text', clean_text('raw_merchant_name')),
        ('mcc_text', clean_text('raw_mcc')),
        ('mcc_code', "case when " ~ regex_full_match('mcc_text', '\\d{1,4}') ~ " then lpad(mcc_text, 4, '0') end"),
        ('category_key', normalise_code('raw_category')),
        ('city_key', normalise_code('raw_city')),
        ('city_text', clean_text('raw_city')),
        ('country_key', normalise_code('raw_country_code')),
        ('derived_columns_text', clean_text('raw_derived_columns')),
    ],
    lookups=[
        code_lookup('category', 'categories', 'typed.category_key', 'known_category'),
        code_lookup('mcc', 'mcc_categories', 'typed.mcc_code', 'mcc_category'),
        code_lookup('city', 'city_names', 'typed.city_key', 'canonical_city'),
        (ref('cities'), 'cities', 'city_names.code = cities.city', [('city_country_code', 'cities.country_code')]),
        code_lookup('country_code', 'countries', 'typed.country_key', 'known_country_code'),
    ],
    checks=[
        ('merchant_id is null', 'missing_key', "'merchant_id is empty'"),
        check_too_long('merchant_id', max_id_length()),
    ],
    attributes=[
        ('merchant_name', 'merchant_name_text', [check_too_long('merchant_name_text', max_text_length())]),
        ('mcc', 'mcc_code', [
            ('mcc_text is not null and mcc_code is null', 'unknown_code',
                "'mcc ' || " ~ quote_raw('raw_mcc') ~ " || ' is not a four-digit merchant category code'"),
        ]),
        code_attribute('category', 'category_key', 'merchant_categories'),
        ('city', 'coalesce(canonical_city, ' ~ title_case('raw_city') ~ ')', [check_too_long('city_text', max_text_length())]),
        code_attribute('country_code', 'country_key', 'countries'),
    ],
    columns=[
        ('merchant_id', 'merchant_id'),
        ('merchant_name', 'merchant_name'),
        ('mcc', 'mcc'),
        ('category', "coalesce(category, mcc_category, 'others')"),
        ('city', 'city'),
        ('country_code', 'coalesce(country_code, city_country_code)'),
        ('derived_columns', 'derived_columns_text'),
    ]
) }}
