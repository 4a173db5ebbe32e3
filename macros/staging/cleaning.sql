{#
    Small cleaning expressions shared by the staging base models. Each returns one SQL
    expression and is dispatched, so another engine can bring its own SQL without touching the
    models. Raw values may arrive typed (Parquet) or as text (CSV), so every macro casts its input
    to text first.

    Text rule (documented in the README, "Your own data"): zero-width characters (U+200B..U+200D,
    U+2060, U+FEFF, soft hyphen U+00AD) are removed; every run of whitespace (space, tab, line
    feed, vertical tab, form feed, carriage return) and Unicode spaces (no-break space U+00A0,
    U+2000..U+200A, U+3000, line and paragraph separators, ...) becomes one space; the result
    is trimmed, and empty text is NULL.
#}

{% macro invisible_characters_class() -%}
    [\x{200B}-\x{200D}\x{2060}\x{FEFF}\x{00AD}]
{%- endmacro %}

{#- RE2's \s (DuckDB) leaves out the vertical tab, which Java's (Spark) includes: named here, so
    both engines clean the same text. -#}
{% macro whitespace_class() -%}
    [\s\x{0B}\p{Z}]
{%- endmacro %}


{#
    Cleaned text (see the rule above). Text the rule leaves as it is skips the replacements:
    ASCII text whose only whitespace is single spaces between other characters (nearly every
    id, and dates or names with a space inside) is told apart without a regular expression
    (is_clean_ascii); other text without any whitespace or invisible character by one search.
#}
{% macro clean_text(expression) -%}
    {{ return(adapter.dispatch('clean_text', 'bankmart')(expression)) }}
{%- endmacro %}

{% macro default__clean_text(expression) -%}
    {%- set text = 'cast(' ~ expression ~ ' as string)' -%}
    {%- set whitespace = whitespace_class() | string -%}
    {%- set invisible = invisible_characters_class() | string -%}
    case
        when {{ is_clean_ascii(text) }} or not {{ regex_contains(text, whitespace[:-1] ~ invisible[1:]) }}
            then nullif({{ text }}, '')
        else nullif(trim({{ regex_replace_all(regex_replace_all(text, invisible, ''), whitespace ~ '+', ' ') }}), '')
    end
{%- endmacro %}


{#
    Whether text is ASCII that the text rule leaves as it is: no tab, line feed, vertical tab,
    form feed or carriage return, no space at either end and no two spaces in a row. The byte
    and character counts (is_ascii()) and a few substring tests: much cheaper than a Unicode
    class search on every value.
#}
{% macro is_clean_ascii(text) -%}
    ({{ is_ascii(text) }}
        {%- for code in [9, 10, 11, 12, 13] %}
        and not contains({{ text }}, chr({{ code }}))
        {%- endfor %}
        and not contains({{ text }}, '  ')
        and {{ text }} not like ' %'
        and {{ text }} not like '% ')
{%- endmacro %}


{#
    A number read as a DOUBLE, NULL when it cannot be read (the caller judges it:
    unparseable_number, with the raw value in the detail). CSV files written with a decimal
    comma (var csv_decimal_separator ','): the dots, digit groups there, are dropped and the
    comma read as the decimal point (1.234,56 is 1234.56). Nothing else is bent: in a file
    with a decimal point, 1,234.50 stays unparseable, and typed Parquet numbers are read as
    they are.
#}
{% macro parse_number(expression) -%}
    {%- if csv_decimal_separator() == ',' -%}
        try_cast(replace(replace(cast({{ expression }} as string), '.', ''), ',', '.') as double)
    {%- else -%}
        try_cast({{ expression }} as double)
    {%- endif -%}
{%- endmacro %}


{#
    The decimal separator of numbers in CSV raw files (var csv_decimal_separator): '.' (the
    default) or ','. Always '.' for Parquet files, whose numbers are typed.
#}
{% macro csv_decimal_separator() -%}
    {%- set separator = (var('csv_decimal_separator', '.') | string | trim) -%}
    {%- if separator not in ('.', ',') -%}
        {{ exceptions.raise_compiler_error("var csv_decimal_separator is '" ~ separator ~ "'; use '.' (the default) or ','") }}
    {%- endif -%}
    {{ return(separator if (var('raw_format', 'parquet') | string | lower) == 'csv' else '.') }}
{%- endmacro %}


{#
    True when a raw value is missing: NULL, or text that is empty once cleaned. Meant to follow a
    failed parse (`parsed is null and {{ is_blank(raw) }}`), so the text is only cleaned for the
    rare rows that did not parse.
#}
{% macro is_blank(expression) -%}
    ({{ expression }} is null or {{ clean_text(expression) }} is null)
{%- endmacro %}


{#
    The lookup key of a code: lower case, every run of characters other than letters and digits
    replaced by one underscore, no leading/trailing underscores. ' Credit-Card ', 'credit card'
    and 'CREDIT_CARD' all become 'credit_card'; 'Health & Wellness' becomes 'health_wellness'.
    Invisible characters are dropped first, so 'credit\u200bcard' is 'creditcard' rather than
    two words. The seeds' codes and code_aliases go through the same function
    (stg_reference__code_lookups). A code already in that form but for its case (nearly every
    value of a large table) is only lower-cased: one pattern match instead of two replacements
    and a trim; words joined by single spaces or hyphens ('Card Present', 'E-Commerce') take a
    second match and plain replacements (0.12 s instead of 0.38 s per million such values when
    the file does not dictionary-encode them, as CSV does not).
#}
{% macro normalise_code(expression) -%}
    {{ return(adapter.dispatch('normalise_code', 'bankmart')(expression)) }}
{%- endmacro %}

{% macro default__normalise_code(expression) -%}
    {%- set text = 'cast(' ~ expression ~ ' as string)' -%}
    {%- set visible = regex_replace_all(text, invisible_characters_class() | string, '') -%}
    case
        when {{ regex_full_match(text, '[A-Za-z0-9]+(_[A-Za-z0-9]+)*') }}
            then lower({{ text }})
        when {{ regex_full_match(text, '[A-Za-z0-9]+([ _-][A-Za-z0-9]+)*') }}
            then lower(replace(replace({{ text }}, ' ', '_'), '-', '_'))
        else nullif({{ trim_characters(regex_replace_all('lower(' ~ visible ~ ')', '[^a-z0-9]+', '_'), '_') }}, '')
    end
{%- endmacro %}


{# Each word capitalised ('dELHI  ncr' -> 'Delhi Ncr'): the canonical case of unknown cities. #}
{% macro title_case(expression) -%}
    {{ return(adapter.dispatch('title_case', 'bankmart')(expression)) }}
{%- endmacro %}

{% macro default__title_case(expression) -%}
    array_to_string(
        list_transform(
            string_split(lower({{ clean_text(expression) }}), ' '),
            lambda word: upper(left(word, 1)) || substr(word, 2)
        ),
        ' '
    )
{%- endmacro %}

{% macro spark__title_case(expression) -%}
    array_join(
        transform(split(lower({{ clean_text(expression) }}), ' '), word -> upper(left(word, 1)) || substr(word, 2)),
        ' '
    )
{%- endmacro %}


{#
    Dates. Three written forms are read, whatever the separator (- / .):
      - year first: YYYY-MM-DD (ISO), YYYY/MM/DD;
      - day/month: D/M/YYYY or D/M/YY, in the order given by `order`, a SQL expression that
        yields 'dmy' or 'mdy' (base_core__date_orders decides it per raw column from the data);
      - either, followed by a time of day (ignored by parse_date).
    Two-digit years are resolved by the column's meaning (`kind`):
      - 'past' (birth, joined, opened, transaction, payment dates): the latest century that does
        not put the date after the as-of date ('15/8/80' is 1980, '21/10/16' is 2016);
      - 'any' (due dates, which may lie ahead): the century within 50 years of the as-of year.
    NULL when nothing matches or the date does not exist (31/02/2025).
#}
{% macro parse_date(expression, order="'dmy'", kind='past', as_of=none) -%}
    {{ return(adapter.dispatch('parse_date', 'bankmart')(expression, order, kind, as_of or as_of_date())) }}
{%- endmacro %}

{#
    Text read with the one format whose separator it carries: `fields` joined by '/' when the
    text holds a '/', else by '-' when it holds a '-', else by '.'; then `suffix` (a clock, say).
    The same result as trying the three formats in turn, since only the matching separator can
    parse (text mixing separators parses with none), without paying for the formats that fail
    (up to about 0.5 s per million values each on DuckDB).
#}
{% macro parse_by_separator(text, fields, suffix='') -%}
    case
        when contains({{ text }}, '/') then {{ parse_timestamp_formats(text, [fields | join('/') ~ suffix]) }}
        when contains({{ text }}, '-') then {{ parse_timestamp_formats(text, [fields | join('-') ~ suffix]) }}
        else {{ parse_timestamp_formats(text, [fields | join('.') ~ suffix]) }}
    end
{%- endmacro %}


{#
    The cleaned text is bound once (a one-element list_transform), so each form costs one
    regular expression and one strptime (parse_by_separator). Two-digit years go through
    strptime's %y (00-68 -> 20xx, 69-99 -> 19xx) and are then moved by a century to the rule of
    `kind`.
#}
{% macro default__parse_date(expression, order, kind, as_of) -%}
    {%- set day_month = "split_part(replace(t, 'T', ' '), ' ', 1)" -%}
    {%- set century_rule -%}
                    {%- if kind == 'any' %}
                    case
                        when year(d) > year({{ as_of }}) + 50 then cast(d - interval 100 year as date)
                        when year(d) <= year({{ as_of }}) - 50 then cast(d + interval 100 year as date)
                        else d
                    end
                    {%- else %}
                    case
                        when d > {{ as_of }} then cast(d - interval 100 year as date)
                        when cast(d + interval 100 year as date) <= {{ as_of }} then cast(d + interval 100 year as date)
                        else d
                    end
                    {%- endif %}
    {%- endset -%}
    {%- set two_digit_year -%}
cast(case
                    when {{ order }} = 'mdy' then {{ parse_by_separator(day_month, ['%m', '%d', '%y']) }}
                    else {{ parse_by_separator(day_month, ['%d', '%m', '%y']) }}
                end as date)
    {%- endset -%}
    {%- set parsed -%}
        case
            when {{ regex_contains('t', '^\\d{4}[-/.]\\d{1,2}[-/.]\\d{1,2}(?:[ T]|$)') }}
                then {{ date_from_year_first_text(day_month) }}
            when {{ regex_contains('t', '^\\d{1,2}[/.-]\\d{1,2}[/.-]\\d{4}(?:[ T]|$)') }}
                then cast(case
                    when {{ order }} = 'mdy' then {{ parse_by_separator(day_month, ['%m', '%d', '%Y']) }}
                    else {{ parse_by_separator(day_month, ['%d', '%m', '%Y']) }}
                end as date)
            when {{ regex_contains('t', '^\\d{1,2}[/.-]\\d{1,2}[/.-]\\d{2}(?:[ T]|$)') }}
                then {{ let_value('d', two_digit_year, century_rule) }}
        end
    {%- endset -%}
    {{ let_value('t', clean_text(expression), parsed) }}
{%- endmacro %}


{#
    A time of day on its own, as banks export it: 'HH:MM:SS' (fractions allowed), 'HH:MM',
    'H:MM AM/PM', or an unpadded integer HHMMSS ('143207' is 14:32:07, '91530' is 09:15:30,
    '5' is 00:00:05). NULL when empty or not a real time of day (hours 0-23, minutes and
    seconds 0-59).
#}
{% macro parse_time(expression) -%}
    {{ return(adapter.dispatch('parse_time', 'bankmart')(expression)) }}
{%- endmacro %}

{% macro default__parse_time(expression) -%}
    {%- set field_ok -%}
                    case
                        when cast(substr(hhmmss, 1, 2) as integer) <= 23
                            and cast(substr(hhmmss, 3, 2) as integer) <= 59
                            and cast(substr(hhmmss, 5, 2) as integer) <= 59
                            then {{ make_time_of_day('substr(hhmmss, 1, 2)', 'substr(hhmmss, 3, 2)', 'substr(hhmmss, 5, 2)') }}
                    end
    {%- endset -%}
    {%- set parsed -%}
        case
            when {{ regex_full_match('t', '\\d{1,6}(\\.0+)?') }}
                then {{ let_value('hhmmss', "lpad(regexp_extract(t, '^(\\d{1,6})', 1), 6, '0')", field_ok) }}
            when {{ regex_full_match('t', '([01]?\\d|2[0-3]):[0-5]\\d(:[0-5]\\d(\\.\\d+)?)?') }}
                then try_cast(t as time)
            when {{ regex_full_match('upper(t)', '(0?[1-9]|1[0-2]):[0-5]\\d(:[0-5]\\d)? ?[AP]\\.?M\\.?') }}
                then cast({{ parse_timestamp_formats(regex_replace_all('upper(t)', '(\\d) ?([AP])\\.?M\\.?$', '\\1 \\2M'), ['%I:%M %p', '%I:%M:%S %p']) }} as time)
        end
    {%- endset -%}
    {{ let_value('t', "nullif(trim(cast(" ~ expression ~ " as string)), '')", parsed) }}
{%- endmacro %}


{#
    An instant with an explicit UTC offset ('2024-05-01T10:00:00+05:30', '...Z'), converted to
    the bank's local time (var bank_timezone): NULL for text without an offset, which is already
    local time.
#}
{% macro parse_offset_timestamp(expression) -%}
    {{ return(adapter.dispatch('parse_offset_timestamp', 'bankmart')(expression)) }}
{%- endmacro %}

{% macro default__parse_offset_timestamp(expression) -%}
    {%- set text = clean_text(expression) -%}
    case
        when {{ regex_contains(text, '^\\d{4}-\\d{2}-\\d{2}[ T]\\d{1,2}:\\d{2}(:\\d{2}(\\.\\d+)?)? ?(Z|[+-]\\d{2}:?\\d{2})$') }}
            then {{ offset_timestamp_at_zone(text, var("bank_timezone", "Asia/Kolkata")) }}
    end
{%- endmacro %}


{# The first day of a month from 'YYYY-MM' (or any date parse_date understands); exact 'YYYY-MM' first, without regular expressions. #}
{% macro parse_month(expression, order="'dmy'") -%}
    {{ return(adapter.dispatch('parse_month', 'bankmart')(expression, order)) }}
{%- endmacro %}

{% macro default__parse_month(expression, order) -%}
    {%- set as_text = 'cast(' ~ expression ~ ' as string)' -%}
    case
        when length({{ as_text }}) = 7 and {{ parse_timestamp_formats(as_text, ['%Y-%m']) }} is not null
            then cast({{ parse_timestamp_formats(as_text, ['%Y-%m']) }} as date)
        else coalesce(
            cast({{ parse_timestamp_formats(clean_text(expression), ['%Y-%m']) }} as date),
            cast({{ dbt.date_trunc('month', parse_date(expression, order)) }} as date)
        )
    end
{%- endmacro %}


{#
    A yes/no value from a typed or text value: 1/0, true/false, t/f, yes/no, y/n (any case).
    NULL when empty or out of domain (7, 'maybe'): a caller tells the two apart by the raw value
    being non-empty (base_core__transactions flags is_fraud = 7 that way).
#}
{% macro parse_flag(expression) -%}
    {{ return(adapter.dispatch('parse_flag', 'bankmart')(expression)) }}
{%- endmacro %}

{% macro default__parse_flag(expression) -%}
    {#- 0 and 1 as they come (nearly every value) skip the trim and lower case -#}
    case cast({{ expression }} as string)
        when '0' then false
        when '1' then true
        else
            case lower(trim(cast({{ expression }} as string)))
                when '1' then true when '1.0' then true when 'true' then true when 't' then true
                when 'yes' then true when 'y' then true
                when '0' then false when '0.0' then false when 'false' then false when 'f' then false
                when 'no' then false when 'n' then false
            end
    end
{%- endmacro %}


{#
    The instant the build treats as "now". In order:
      1. var as_of_timestamp, when set (reproducible builds, unit tests);
      2. the end of the as_of_date in <raw_dir>/_manifest.json, which `bankmart generate` writes:
         a generated bank is judged at the date it was generated for, so ages and
         future-dated checks do not drift with the calendar;
      3. the current time.
    Rows dated after it are quarantined as future_dated; ages are measured at its date.
#}
{% macro as_of_timestamp() -%}
    {%- set as_of = var('as_of_timestamp', none) -%}
    {%- set manifest_date = none if (as_of is not none and (as_of | string | trim) not in ('', 'None', 'null')) else raw_manifest_as_of_date() -%}
    {%- if as_of is not none and (as_of | string | trim) not in ('', 'None', 'null') -%}
        cast('{{ as_of }}' as timestamp)
    {%- elif manifest_date -%}
        cast('{{ manifest_date }} 23:59:59.999999' as timestamp)
    {%- else -%}
        cast({{ dbt.current_timestamp() }} as timestamp)
    {%- endif -%}
{%- endmacro %}

{% macro as_of_date() -%}
    cast({{ as_of_timestamp() }} as date)
{%- endmacro %}

{#
    as_of_date from <raw_dir>/_manifest.json as 'YYYY-MM-DD', or none when there is no manifest
    (a user's own extract), it has no valid as_of_date, or nothing executes (parsing, unit tests).
#}
{% macro raw_manifest_as_of_date() -%}
    {%- if not execute or model is not defined or model.resource_type == 'unit_test' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set raw_dir = (var('raw_dir') | string).rstrip('/') -%}
    {{ return(adapter.dispatch('read_manifest_as_of_date', 'bankmart')(raw_dir, raw_dir ~ '/_manifest.json')) }}
{%- endmacro %}

{% macro default__read_manifest_as_of_date(raw_dir, manifest_path) -%}
    {%- set found_sql -%}
        select count(*) from glob({{ sql_text(manifest_path) }})
    {%- endset -%}
    {%- if run_query(found_sql).columns[0].values()[0] == 0 -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set date_sql -%}
        select cast(try_cast(as_of_date as date) as string)
        from read_json_auto({{ sql_text(manifest_path) }}, maximum_object_size = 104857600)
    {%- endset -%}
    {%- set value = run_query(date_sql).columns[0].values()[0] -%}
    {{ return(value if value else none) }}
{%- endmacro %}

{#- Spark's file listing hides files whose name starts with '_', so the manifest cannot be
    found from SQL: `bankmart build --target spark` reads it and sets var as_of_timestamp. -#}
{% macro spark__read_manifest_as_of_date(raw_dir, manifest_path) -%}
    {{ return(none) }}
{%- endmacro %}


{# Amounts above this (home currency) are quarantined as absurd_amount. #}
{% macro absurd_amount_threshold() -%}
    {{ var('absurd_amount_threshold', 10000000) }}
{%- endmacro %}


{# Longest id (after cleaning) a key may have, and longest free text an attribute may have. #}
{% macro max_id_length() -%}{{ var('max_id_length', 64) }}{%- endmacro %}
{% macro max_text_length() -%}{{ var('max_text_length', 200) }}{%- endmacro %}


{#
    A quoted raw value for a detail message: 'value', or <empty>; long values cut to 80
    characters, and '|' shown as '/' so a value cannot split the ' | '-separated dq_detail list.
#}
{% macro quote_raw(expression) -%}
    coalesce(
        {{ sql_text("'") }} || replace(case
            when length(cast({{ expression }} as string)) > 80
                then left(cast({{ expression }} as string), 77) || '...'
            else cast({{ expression }} as string)
        end, '|', '/') || {{ sql_text("'") }},
        '<empty>'
    )
{%- endmacro %}


{#
    dbt.safe_cast() promises NULL instead of an error when a value does not convert, but
    dbt-duckdb 1.11 ships no implementation and falls back to a plain cast. DuckDB's try_cast
    keeps the promise; dispatch finds this one in the root project first.
#}
{% macro duckdb__safe_cast(field, type) -%}
    try_cast({{ field }} as {{ type }})
{%- endmacro %}
