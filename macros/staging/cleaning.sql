{#
    Small cleaning expressions shared by the staging base models. Each returns one SQL
    expression and is dispatched, so another engine can bring its own SQL without touching the
    models. Raw values may arrive typed (Parquet) or as text (CSV), so every macro casts its input
    to text first.
#}

{#
    Trimmed text with runs of whitespace collapsed to one space; empty text becomes NULL. Text
    without any whitespace (nearly every id) skips the replacement: half the cost per value.
#}
{% macro clean_text(expression) -%}
    {{ return(adapter.dispatch('clean_text', 'bankmart')(expression)) }}
{%- endmacro %}

{% macro default__clean_text(expression) -%}
    {%- set text = 'cast(' ~ expression ~ ' as varchar)' -%}
    case
        when not regexp_matches({{ text }}, '\s') then nullif({{ text }}, '')
        else nullif(trim(regexp_replace({{ text }}, '\s+', ' ', 'g')), '')
    end
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
    The seeds' codes and code_aliases go through the same function (stg_reference__code_lookups).
#}
{% macro normalise_code(expression) -%}
    {{ return(adapter.dispatch('normalise_code', 'bankmart')(expression)) }}
{%- endmacro %}

{% macro default__normalise_code(expression) -%}
    nullif(trim(regexp_replace(lower(cast({{ expression }} as varchar)), '[^a-z0-9]+', '_', 'g'), '_'), '')
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


{#
    A date from text: ISO YYYY-MM-DD first (optionally followed by a time), then day-first
    D/M/YYYY, D-M-YYYY and D.M.YYYY, as Indian extracts write them. Day-first forms need a
    four-digit year: '2/8/16' is ambiguous about its century and stays unparsed. NULL when
    nothing matches or the date does not exist (2024-02-30).
#}
{% macro parse_date(expression) -%}
    {{ return(adapter.dispatch('parse_date', 'bankmart')(expression)) }}
{%- endmacro %}

{% macro default__parse_date(expression) -%}
    {%- set text = clean_text(expression) -%}
    coalesce(
        -- DuckDB's own cast also reads '2/8/16' as the year 2: only four-digit years go to it
        case
            when regexp_matches({{ text }}, '^\d{4}[-/]\d{1,2}[-/]\d{1,2}([ T]|$)')
                then try_cast({{ text }} as date)
        end,
        case
            when regexp_full_match({{ text }}, '\d{1,2}[/.-]\d{1,2}[/.-]\d{4}')
                then cast(try_strptime({{ text }}, ['%d/%m/%Y', '%d-%m-%Y', '%d.%m.%Y']) as date)
        end
    )
{%- endmacro %}


{#
    A timestamp from text: ISO 'YYYY-MM-DD HH:MM:SS' (or with a T, fractions of a second, or a
    bare date meaning midnight), then day-first 'D/M/YYYY HH:MM[:SS]'. NULL when nothing matches.
    The exact 'YYYY-MM-DD HH:MM:SS' most files carry is tried first without any regular
    expression (a third of the cost of a large base model otherwise).
#}
{% macro parse_timestamp(expression) -%}
    {{ return(adapter.dispatch('parse_timestamp', 'bankmart')(expression)) }}
{%- endmacro %}

{% macro default__parse_timestamp(expression) -%}
    {%- set text = clean_text(expression) -%}
    {%- set as_text = 'cast(' ~ expression ~ ' as varchar)' -%}
    case
        when length({{ as_text }}) = 19 and try_strptime({{ as_text }}, '%Y-%m-%d %H:%M:%S') is not null
            then try_strptime({{ as_text }}, '%Y-%m-%d %H:%M:%S')
        when regexp_matches({{ text }}, '^\d{4}[-/]\d{1,2}[-/]\d{1,2}([ T]|$)')
            then try_cast({{ text }} as timestamp)
        when regexp_full_match({{ text }}, '\d{1,2}[/.-]\d{1,2}[/.-]\d{4}( \d{1,2}:\d{2}(:\d{2})?)?')
            then try_strptime(
                {{ text }},
                [
                    '%d/%m/%Y %H:%M:%S', '%d/%m/%Y %H:%M', '%d/%m/%Y',
                    '%d-%m-%Y %H:%M:%S', '%d-%m-%Y %H:%M', '%d-%m-%Y',
                    '%d.%m.%Y %H:%M:%S', '%d.%m.%Y %H:%M', '%d.%m.%Y'
                ]
            )
    end
{%- endmacro %}


{# The first day of a month from 'YYYY-MM' (or any date parse_date understands); exact 'YYYY-MM' first, without regular expressions. #}
{% macro parse_month(expression) -%}
    {{ return(adapter.dispatch('parse_month', 'bankmart')(expression)) }}
{%- endmacro %}

{% macro default__parse_month(expression) -%}
    {%- set as_text = 'cast(' ~ expression ~ ' as varchar)' -%}
    case
        when length({{ as_text }}) = 7 and try_strptime({{ as_text }}, '%Y-%m') is not null
            then cast(try_strptime({{ as_text }}, '%Y-%m') as date)
        else coalesce(
            cast(try_strptime({{ clean_text(expression) }}, '%Y-%m') as date),
            cast({{ dbt.date_trunc('month', parse_date(expression)) }} as date)
        )
    end
{%- endmacro %}


{# A number from a typed or text value; NULL when it is not numeric. #}
{% macro parse_number(expression, data_type='double') -%}
    {{ return(adapter.dispatch('parse_number', 'bankmart')(expression, data_type)) }}
{%- endmacro %}

{% macro default__parse_number(expression, data_type) -%}
    {{ dbt.safe_cast(clean_text(expression), data_type) }}
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
    {%- set manifest_path = (var('raw_dir') | string).rstrip('/') ~ '/_manifest.json' -%}
    {%- set found_sql -%}
        select count(*) from glob({{ sql_text(manifest_path) }})
    {%- endset -%}
    {%- if run_query(found_sql).columns[0].values()[0] == 0 -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set date_sql -%}
        select cast(try_cast(as_of_date as date) as varchar)
        from read_json_auto({{ sql_text(manifest_path) }}, maximum_object_size = 104857600)
    {%- endset -%}
    {%- set value = run_query(date_sql).columns[0].values()[0] -%}
    {{ return(value if value else none) }}
{%- endmacro %}


{# Amounts above this (home currency) are quarantined as absurd_amount. #}
{% macro absurd_amount_threshold() -%}
    {{ var('absurd_amount_threshold', 10000000) }}
{%- endmacro %}


{# A quoted raw value for a quarantine detail message: 'value', or <empty>. #}
{% macro quote_raw(expression) -%}
    coalesce('''' || cast({{ expression }} as varchar) || '''', '<empty>')
{%- endmacro %}


{#
    dbt.safe_cast() promises NULL instead of an error when a value does not convert, but
    dbt-duckdb 1.11 ships no implementation and falls back to a plain cast. DuckDB's try_cast
    keeps the promise; dispatch finds this one in the root project first.
#}
{% macro duckdb__safe_cast(field, type) -%}
    try_cast({{ field }} as {{ type }})
{%- endmacro %}
