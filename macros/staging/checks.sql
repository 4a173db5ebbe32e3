{#
    The checks the base models share, as (condition, code, detail) entries for the `checks` and
    `attributes` lists of staging_base_model(). The same code serves as a quarantine reason (on a
    key or required value) and as a data-quality flag (on an optional value, which becomes NULL):
    the seeds quarantine_reasons and data_quality_flag_codes describe each.
#}

{# The value was given but is not a date. #}
{% macro check_unparseable_date(raw, parsed, name) -%}
    {{ return((
        parsed ~ ' is null and not ' ~ is_blank(raw),
        'unparseable_date',
        "'" ~ name ~ " ' || " ~ quote_raw(raw) ~ " || ' is not a date'"
    )) }}
{%- endmacro %}

{# The date lies after the as-of date of the build. #}
{% macro check_future_date(parsed, name) -%}
    {{ return((
        parsed ~ ' > as_of_date',
        'future_dated',
        "'" ~ name ~ " ' || cast(" ~ parsed ~ " as string) || ' is after the as-of date ' || cast(as_of_date as string)"
    )) }}
{%- endmacro %}

{# 1 January 1900 or earlier: a placeholder ('1/1/1800'), not a real date. #}
{% macro check_placeholder_date(parsed, name) -%}
    {{ return((
        parsed ~ " <= cast('1900-01-01' as date)",
        'placeholder_date',
        "'" ~ name ~ " ' || cast(" ~ parsed ~ " as string) || ' is a placeholder (1900-01-01 or earlier)'"
    )) }}
{%- endmacro %}

{# The value was given but is not a number. #}
{% macro check_unparseable_number(raw, value, name) -%}
    {{ return((
        value ~ ' is null and not ' ~ is_blank(raw),
        'unparseable_number',
        "'" ~ name ~ " ' || " ~ quote_raw(raw) ~ " || ' is not a number'"
    )) }}
{%- endmacro %}

{# NaN or infinity: numeric text that is not a finite number. #}
{% macro check_finite(value, name) -%}
    {{ return((
        'not ' ~ is_finite(value),
        'not_a_number',
        "'" ~ name ~ " ' || cast(" ~ value ~ " as string) || ' is not a finite number'"
    )) }}
{%- endmacro %}

{# A code the seeds do not know, after normalising and applying code_aliases. #}
{% macro check_unknown_code(key, code, raw, name, seed) -%}
    {{ return((
        key ~ ' is not null and ' ~ code ~ ' is null',
        'unknown_code',
        "'" ~ name ~ " ' || " ~ quote_raw(raw) ~ " || ' is not in the " ~ seed ~ " seed'"
    )) }}
{%- endmacro %}

{# A number outside the range the column allows. #}
{% macro check_out_of_range(value, condition, name, allowed) -%}
    {{ return((
        condition,
        'out_of_range',
        "'" ~ name ~ " ' || cast(" ~ value ~ " as string) || ' is outside " ~ allowed ~ "'"
    )) }}
{%- endmacro %}

{#
    Text longer than the project allows (var max_id_length for ids, max_text_length for other
    text): an id that long is not an id, a name that long is not a name.
#}
{% macro check_too_long(column, limit) -%}
    {{ return((
        'length(' ~ column ~ ') > ' ~ limit,
        'value_too_long',
        "'" ~ column ~ " is ' || length(" ~ column ~ ") || ' characters long (at most " ~ limit ~ ")'"
    )) }}
{%- endmacro %}

{#
    A reference to a parent that is not clean (orphan_<parent>), saying whether the parent is
    missing or was quarantined, and why. `parent` is the prefix of the parent_lookup() columns.
#}
{% macro check_orphan(column, parent, parent_table, reason) -%}
    {{ return((
        column ~ ' is not null and not coalesce(' ~ parent ~ '_is_clean, false)',
        reason,
        "'" ~ column ~ " ' || " ~ quote_raw(column) ~ " || case when " ~ parent ~ "_parent_reason is null then ' is not in "
            ~ parent_table ~ "' else ' was quarantined in " ~ parent_table ~ " (' || " ~ parent ~ "_parent_reason || ')' end"
    )) }}
{%- endmacro %}


{#
    The rules of a required amount, in priority order: given, numeric, finite, [positive,] not
    below the home currency's smallest unit, not absurd. `minimum` is 'positive' (an amount
    paid), 'zero' (a spend total, which may be 0) or 'any' (a balance, which may be negative).
    The rows need the minor_units column of home_currency_lookup().
#}
{% macro amount_checks(raw, value, name, minimum='positive') -%}
    {%- set checks = [
        (value ~ ' is null and ' ~ is_blank(raw), 'missing_value', "'" ~ name ~ " is empty'"),
        (value ~ ' is null', 'unparseable_number', "'" ~ name ~ " ' || " ~ quote_raw(raw) ~ " || ' is not a number'"),
        check_finite(value, name),
    ] -%}
    {%- if minimum == 'positive' -%}
        {%- do checks.append((value ~ ' <= 0', 'non_positive_amount', "'" ~ name ~ " ' || cast(" ~ value ~ " as string) || ' is not positive'")) -%}
        {%- do checks.append((round_to_minor_units(value) ~ ' = 0', 'below_minor_unit',
            "'" ~ name ~ " ' || cast(" ~ value ~ " as string) || ' rounds to 0 in " ~ var('home_currency', 'INR') ~ " (' || minor_units || ' decimals)'")) -%}
    {%- elif minimum == 'zero' -%}
        {%- do checks.append((value ~ ' < 0', 'non_positive_amount', "'" ~ name ~ " ' || cast(" ~ value ~ " as string) || ' is negative'")) -%}
    {%- endif -%}
    {%- if minimum == 'any' -%}
        {%- do checks.append(('abs(' ~ value ~ ') >= 1e16', 'absurd_amount',
            "'" ~ name ~ " ' || cast(" ~ value ~ " as string) || ' does not fit DECIMAL(18, 2)'")) -%}
    {%- else -%}
        {%- do checks.append((value ~ ' > ' ~ absurd_amount_threshold(), 'absurd_amount',
            "'" ~ name ~ " ' || cast(" ~ value ~ " as string) || ' is above the absurd_amount_threshold " ~ absurd_amount_threshold() ~ "'")) -%}
    {%- endif -%}
    {{ return(checks) }}
{%- endmacro %}


{# An amount with more decimals than the home currency has: rounded, flagged, original kept. #}
{% macro rounded_amount_flag(value, name) -%}
    {{ return((
        name,
        value ~ ' <> ' ~ round_to_minor_units(value),
        'rounded_amount',
        "'" ~ name ~ " ' || cast(" ~ value ~ " as string) || ' rounded to ' || cast(" ~ round_to_minor_units(value) ~ " as string)"
    )) }}
{%- endmacro %}


{# The home currency's minor units (the currencies seed), as a lookups entry: column minor_units. #}
{% macro home_currency_lookup() -%}
    {{ return((
        ref('currencies'),
        'home_currency',
        "home_currency.currency_code = '" ~ var('home_currency', 'INR') ~ "'",
        [('minor_units', 'coalesce(home_currency.minor_units, 2)')]
    )) }}
{%- endmacro %}


{# Dated before the bank's data window (base_core__data_window): a stray row from another era. #}
{% macro check_data_window(parsed, name) -%}
    {{ return((
        parsed ~ ' < window_start',
        'outside_data_window',
        "'" ~ name ~ " ' || cast(" ~ parsed ~ " as string) || ' is before the data window, which starts ' || cast(window_start as string)"
    )) }}
{%- endmacro %}

{#
    The checks every optional date attribute gets: given but not a date, after the as-of date,
    or a placeholder (1900-01-01 or earlier).
#}
{% macro attribute_date_checks(raw, parsed, name) -%}
    {{ return([
        check_unparseable_date(raw, parsed, name),
        check_future_date(parsed, name),
        check_placeholder_date(parsed, name),
    ]) }}
{%- endmacro %}

{#
    The checks every required activity date (a row's own date) gets: empty (quarantined as
    missing_reason), not a date, after the as-of date, or before the data window.
#}
{% macro activity_date_checks(raw, parsed, name, missing_reason='missing_value') -%}
    {{ return([
        (parsed ~ ' is null and ' ~ is_blank(raw), missing_reason, "'" ~ name ~ " is empty'"),
        check_unparseable_date(raw, parsed, name),
        check_future_date(parsed, name),
        check_data_window(parsed, name),
    ]) }}
{%- endmacro %}

{#
    An optional code attribute read through its seed: the attribute tuple base_model() takes,
    with the code in column <name> (NULL when unknown), looked up from <key> and kept raw as
    raw_<name>, flagged unknown_code when given but not in the seed.
#}
{% macro code_attribute(name, key, seed) -%}
    {{ return((name, 'known_' ~ name, [
        check_unknown_code(key, 'known_' ~ name, 'raw_' ~ name, name, seed),
    ])) }}
{%- endmacro %}
