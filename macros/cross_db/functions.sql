{#
    SQL functions that DuckDB and Spark SQL spell differently. Each macro returns one SQL
    expression; the duckdb__/default__ body writes exactly what the models wrote before they
    ran on Spark, so the DuckDB build is unchanged. Regular expressions are given as plain text
    and written as a literal by the macro: both engines read a backslash in a literal as a
    character (Spark through escapedStringLiterals, profiles.yml), and both accept the syntax the
    project uses (RE2 on DuckDB, java.util.regex on Spark): classes, \d, \s, \p{Z}, \x{200B},
    (?:...). One difference remains: Java's \s also matches a vertical tab (U+000B).
#}

{# The literal of a regular expression (never holds a quote). #}
{% macro regex_literal(pattern) -%}
    {%- if "'" in pattern -%}
        {{ exceptions.raise_compiler_error("regex_literal: a pattern may not contain a quote: " ~ pattern) }}
    {%- endif -%}
    {{ return("'" ~ pattern ~ "'") }}
{%- endmacro %}


{# Whether `pattern` matches somewhere in `text`. #}
{% macro regex_contains(text, pattern) -%}
    {{ return(adapter.dispatch('regex_contains', 'bankmart')(text, pattern)) }}
{%- endmacro %}

{% macro default__regex_contains(text, pattern) -%}
    regexp_matches({{ text }}, {{ regex_literal(pattern) }})
{%- endmacro %}

{% macro spark__regex_contains(text, pattern) -%}
    regexp_like({{ text }}, {{ regex_literal(pattern) }})
{%- endmacro %}


{# Whether `pattern` matches the whole of `text`. #}
{% macro regex_full_match(text, pattern) -%}
    {{ return(adapter.dispatch('regex_full_match', 'bankmart')(text, pattern)) }}
{%- endmacro %}

{% macro default__regex_full_match(text, pattern) -%}
    regexp_full_match({{ text }}, {{ regex_literal(pattern) }})
{%- endmacro %}

{% macro spark__regex_full_match(text, pattern) -%}
    regexp_like({{ text }}, {{ regex_literal('^(?:' ~ pattern ~ ')$') }})
{%- endmacro %}


{# Whether every character of text is ASCII: its byte count equals its character count. #}
{% macro is_ascii(text) -%}
    {{ return(adapter.dispatch('is_ascii', 'bankmart')(text)) }}
{%- endmacro %}

{% macro default__is_ascii(text) -%}
    strlen({{ text }}) = length({{ text }})
{%- endmacro %}

{% macro spark__is_ascii(text) -%}
    octet_length({{ text }}) = length({{ text }})
{%- endmacro %}


{# Every match of `pattern` replaced; `replacement` refers to groups as \1, \2. #}
{% macro regex_replace_all(text, pattern, replacement) -%}
    {{ return(adapter.dispatch('regex_replace_all', 'bankmart')(text, pattern, replacement)) }}
{%- endmacro %}

{% macro default__regex_replace_all(text, pattern, replacement) -%}
    regexp_replace({{ text }}, {{ regex_literal(pattern) }}, {{ regex_literal(replacement) }}, 'g')
{%- endmacro %}

{% macro spark__regex_replace_all(text, pattern, replacement) -%}
    regexp_replace({{ text }}, {{ regex_literal(pattern) }}, {{ regex_literal(modules.re.sub('\\\\(\\d)', '$\\1', replacement)) }})
{%- endmacro %}


{#
    let_value(name, value, body): `body` with `name` bound to `value`, evaluated once (a
    one-element list and a lambda), so a long expression such as cleaned text is not repeated.
#}
{% macro let_value(name, value, body) -%}
    {{ return(adapter.dispatch('let_value', 'bankmart')(name, value, body)) }}
{%- endmacro %}

{% macro default__let_value(name, value, body) -%}
    list_transform([{{ value }}], lambda {{ name }}: {{ body }})[1]
{%- endmacro %}

{% macro spark__let_value(name, value, body) -%}
    transform(array({{ value }}), {{ name }} -> {{ body }})[0]
{%- endmacro %}


{#
    The timestamp `text` spells in the first of `formats` (strptime codes: %Y %y %m %d %H %I %M
    %S %p) that reads it whole, else NULL. Spark's patterns read one- or two-digit fields like
    strptime; a two-digit year is 19xx or 20xx by a rule of each engine, which the callers
    resolve themselves.
#}
{% macro parse_timestamp_formats(text, formats) -%}
    {{ return(adapter.dispatch('parse_timestamp_formats', 'bankmart')(text, formats)) }}
{%- endmacro %}

{% macro default__parse_timestamp_formats(text, formats) -%}
    {%- if formats | length == 1 -%}
    try_strptime({{ text }}, {{ sql_text(formats[0]) }})
    {%- else -%}
    try_strptime({{ text }}, [{% for format in formats %}{{ sql_text(format) }}{{ ', ' if not loop.last }}{% endfor %}])
    {%- endif -%}
{%- endmacro %}

{% macro spark__parse_timestamp_formats(text, formats) -%}
    {%- set java = {'%Y': 'yyyy', '%y': 'yy', '%m': 'M', '%d': 'd', '%H': 'H', '%I': 'h', '%M': 'm', '%S': 's', '%p': 'a'} -%}
    {%- set patterns = [] -%}
    {%- for format in formats -%}
        {%- set pattern = namespace(text=format) -%}
        {%- for code, letters in java.items() -%}
            {%- set pattern.text = pattern.text | replace(code, letters) -%}
        {%- endfor -%}
        {%- do patterns.append('try_to_timestamp(' ~ text ~ ', ' ~ sql_text(pattern.text) ~ ')') -%}
    {%- endfor -%}
    {{ patterns[0] if patterns | length == 1 else 'coalesce(' ~ (patterns | join(', ')) ~ ')' }}
{%- endmacro %}


{# A time of day from hours, minutes and seconds (fractions allowed). #}
{% macro make_time_of_day(hours, minutes, seconds) -%}
    {{ return(adapter.dispatch('make_time_of_day', 'bankmart')(hours, minutes, seconds)) }}
{%- endmacro %}

{% macro default__make_time_of_day(hours, minutes, seconds) -%}
    make_time(
        cast({{ hours }} as bigint),
        cast({{ minutes }} as bigint),
        cast({{ seconds }} as double)
    )
{%- endmacro %}

{% macro spark__make_time_of_day(hours, minutes, seconds) -%}
    make_time(cast({{ hours }} as int), cast({{ minutes }} as int), cast({{ seconds }} as decimal(16, 6)))
{%- endmacro %}


{# The timestamp at time of day `time_of_day` on `day` (a date). #}
{% macro date_at_time(day, time_of_day) -%}
    {{ return(adapter.dispatch('date_at_time', 'bankmart')(day, time_of_day)) }}
{%- endmacro %}

{% macro default__date_at_time(day, time_of_day) -%}
    {{ day }} + {{ time_of_day }}
{%- endmacro %}

{% macro spark__date_at_time(day, time_of_day) -%}
    make_timestamp({{ day }}, {{ time_of_day }})
{%- endmacro %}


{# Whether a double is a finite number (not NaN, not infinite). #}
{% macro is_finite(value) -%}
    {{ return(adapter.dispatch('is_finite', 'bankmart')(value)) }}
{%- endmacro %}

{% macro default__is_finite(value) -%}
    isfinite({{ value }})
{%- endmacro %}

{% macro spark__is_finite(value) -%}
    (not isnan({{ value }}) and abs({{ value }}) < double('Infinity'))
{%- endmacro %}


{#
    An instant written with a UTC offset ('2024-05-01T10:00:00+05:30', '...Z'), as the local
    time of `time_zone`; NULL when the text is not such an instant.
#}
{% macro offset_timestamp_at_zone(text, time_zone) -%}
    {{ return(adapter.dispatch('offset_timestamp_at_zone', 'bankmart')(text, time_zone)) }}
{%- endmacro %}

{% macro default__offset_timestamp_at_zone(text, time_zone) -%}
    timezone({{ sql_text(time_zone) }}, try_cast({{ text }} as timestamptz))
{%- endmacro %}

{#- Spark reads the offset only when it follows the time directly. -#}
{% macro spark__offset_timestamp_at_zone(text, time_zone) -%}
    from_utc_timestamp(try_cast(regexp_replace({{ text }}, ' (Z|[+-])', '$1') as timestamp), {{ sql_text(time_zone) }})
{%- endmacro %}


{# A 64-bit hash of one or more values (a key's hash; equal values, equal hashes). #}
{% macro hash_values(values) -%}
    {{ return(adapter.dispatch('hash_values', 'bankmart')(values)) }}
{%- endmacro %}

{% macro default__hash_values(values) -%}
    hash({{ values | join(', ') }})
{%- endmacro %}

{% macro spark__hash_values(values) -%}
    xxhash64({{ values | join(', ') }})
{%- endmacro %}


{# `text` without leading and trailing `characters` (each character of it). #}
{% macro trim_characters(text, characters) -%}
    {{ return(adapter.dispatch('trim_characters', 'bankmart')(text, characters)) }}
{%- endmacro %}

{% macro default__trim_characters(text, characters) -%}
    trim({{ text }}, {{ sql_text(characters) }})
{%- endmacro %}

{% macro spark__trim_characters(text, characters) -%}
    btrim({{ text }}, {{ sql_text(characters) }})
{%- endmacro %}


{# A date from year-first text with any of the separators - / . ('2024/5/1'), else NULL. #}
{% macro date_from_year_first_text(text) -%}
    {{ return(adapter.dispatch('date_from_year_first_text', 'bankmart')(text)) }}
{%- endmacro %}

{% macro default__date_from_year_first_text(text) -%}
    try_cast(replace({{ text }}, '.', '-') as date)
{%- endmacro %}

{#- Spark casts only '-'-separated dates. -#}
{% macro spark__date_from_year_first_text(text) -%}
    try_cast(regexp_replace({{ text }}, '[./]', '-') as date)
{%- endmacro %}


{# The date of year, month and day, or NULL when there is no such date (2025-02-30). #}
{% macro try_make_date(year, month, day) -%}
    {{ return(adapter.dispatch('try_make_date', 'bankmart')(year, month, day)) }}
{%- endmacro %}

{% macro default__try_make_date(year, month, day) -%}
    try(make_date({{ year }}, {{ month }}, {{ day }}))
{%- endmacro %}

{#- Spark runs without ANSI mode (dbt-spark sets it): make_date gives NULL for no such date. -#}
{% macro spark__try_make_date(year, month, day) -%}
    make_date({{ year }}, {{ month }}, {{ day }})
{%- endmacro %}


{#
    The set operator that stacks two queries matching their columns by name. Spark SQL has no
    such operator: there it is UNION ALL, which matches by position, so a caller must give both
    sides the same columns in the same order (two selects of the same CTE shape, for example).
#}
{% macro union_all_by_name() -%}
    {{ return(adapter.dispatch('union_all_by_name', 'bankmart')()) }}
{%- endmacro %}

{% macro default__union_all_by_name() -%}
    union all by name
{%- endmacro %}

{% macro spark__union_all_by_name() -%}
    union all
{%- endmacro %}


{#
    union_all_of_columns(left, left_columns, right, right_columns): every row of the relations
    left and right, matched by column name, a column one side lacks NULL on that side. DuckDB
    matches the names itself (UNION ALL BY NAME); Spark SQL has no such union, so each side
    selects the union of both column lists (left's, then right's others) in one order.
    columns_of_union(relation, left_columns, right_columns): the rows of a relation with those
    left columns shaped like that union (on DuckDB the relation itself, which UNION ALL BY NAME
    matches), to stack under it with a further union.
#}
{% macro union_all_of_columns(left, left_columns, right, right_columns) -%}
    {{ return(adapter.dispatch('union_all_of_columns', 'bankmart')(left, left_columns, right, right_columns)) }}
{%- endmacro %}

{% macro default__union_all_of_columns(left, left_columns, right, right_columns) -%}
    select * from {{ left }} union all by name select * from {{ right }}
{%- endmacro %}

{% macro spark__union_all_of_columns(left, left_columns, right, right_columns) -%}
    {%- set all_columns = union_column_list(left_columns, right_columns) -%}
    {{ select_columns_as(left, left_columns, all_columns) }}
    union all
    {{ select_columns_as(right, right_columns, all_columns) }}
{%- endmacro %}


{% macro columns_of_union(relation, left_columns, right_columns) -%}
    {{ return(adapter.dispatch('columns_of_union', 'bankmart')(relation, left_columns, right_columns)) }}
{%- endmacro %}

{% macro default__columns_of_union(relation, left_columns, right_columns) -%}
    {{ relation }}
{%- endmacro %}

{% macro spark__columns_of_union(relation, left_columns, right_columns) -%}
    ({{ select_columns_as(relation, left_columns, union_column_list(left_columns, right_columns)) }}) as {{ relation }}
{%- endmacro %}


{# The columns of a union by name: the left list, then the right list's other names. #}
{% macro union_column_list(left_columns, right_columns) -%}
    {%- set all_columns = left_columns | list -%}
    {%- for column in right_columns if column not in left_columns -%}
        {%- do all_columns.append(column) -%}
    {%- endfor -%}
    {{ return(all_columns) }}
{%- endmacro %}


{# select of a relation holding the columns `present`, giving all_columns in order (NULL where absent). #}
{% macro select_columns_as(relation, present, all_columns) -%}
    select
        {%- for column in all_columns %}
        {{ column if column in present else 'null as ' ~ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ relation }}
{%- endmacro %}


{# Integer division of whole numbers (the quotient rounded down, for non-negative operands). #}
{% macro integer_divide(dividend, divisor) -%}
    {{ return(adapter.dispatch('integer_divide', 'bankmart')(dividend, divisor)) }}
{%- endmacro %}

{% macro default__integer_divide(dividend, divisor) -%}
    {{ dividend }} // {{ divisor }}
{%- endmacro %}

{% macro spark__integer_divide(dividend, divisor) -%}
    {{ dividend }} div {{ divisor }}
{%- endmacro %}


{#
    An amount rounded to the home currency's minor units (the column minor_units of
    home_currency_lookup(): 0 for JPY, 2 for INR, 3 for KWD), half away from zero.
#}
{% macro round_to_minor_units(value) -%}
    {{ return(adapter.dispatch('round_to_minor_units', 'bankmart')(value)) }}
{%- endmacro %}

{% macro default__round_to_minor_units(value) -%}
    round({{ value }}, minor_units)
{%- endmacro %}

{#- Spark rounds only to a constant number of decimals: one branch per ISO 4217 exponent. -#}
{% macro spark__round_to_minor_units(value) -%}
    case minor_units
        {%- for decimals in range(5) %}
        when {{ decimals }} then round({{ value }}, {{ decimals }})
        {%- endfor %}
    end
{%- endmacro %}


{# The list of the parts of `text` between occurrences of `separator` (plain text). #}
{% macro split_text(text, separator) -%}
    {{ return(adapter.dispatch('split_text', 'bankmart')(text, separator)) }}
{%- endmacro %}

{% macro default__split_text(text, separator) -%}
    string_split({{ text }}, {{ sql_text(separator) }})
{%- endmacro %}

{#- Spark splits on a regular expression: the separator is quoted (\Q...\E). -#}
{% macro spark__split_text(text, separator) -%}
    split({{ text }}, {{ regex_literal('\\Q' ~ separator ~ '\\E') }})
{%- endmacro %}


{#
    Select-list items that unnest lists side by side: one output row per position, the i-th
    element of each list in the column of the same place in `names` (NULL where a list is
    shorter). Written as the last items of a select list.
#}
{% macro unnest_side_by_side(lists, names) -%}
    {{ return(adapter.dispatch('unnest_side_by_side', 'bankmart')(lists, names)) }}
{%- endmacro %}

{% macro default__unnest_side_by_side(lists, names) -%}
    {%- for list in lists -%}
    unnest({{ list }}) as {{ names[loop.index0] }}{{ ',\n        ' if not loop.last }}
    {%- endfor -%}
{%- endmacro %}

{% macro spark__unnest_side_by_side(lists, names) -%}
    inline(arrays_zip({{ lists | join(', ') }})) as ({{ names | join(', ') }})
{%- endmacro %}


{#
    A date as text in a strftime format (%Y %m %d %a %A %b %B, %G and %V for the ISO year and
    week). Spark formats with Java patterns and has no ISO week-year pattern: %G and %V are
    spelt with extract(yearofweek) and weekofyear there.
#}
{% macro format_date(value, format) -%}
    {{ return(adapter.dispatch('format_date', 'bankmart')(value, format)) }}
{%- endmacro %}

{% macro default__format_date(value, format) -%}
    strftime({{ value }}, {{ sql_text(format) }})
{%- endmacro %}

{% macro spark__format_date(value, format) -%}
    {%- if format == '%G-W%V' -%}
    concat(extract(yearofweek from {{ value }}), '-W', lpad(weekofyear({{ value }}), 2, '0'))
    {%- else -%}
    {%- set pattern = namespace(text=format) -%}
    {%- for code, letters in {'%Y': 'yyyy', '%m': 'MM', '%d': 'dd', '%a': 'EEE', '%A': 'EEEE', '%b': 'MMM', '%B': 'MMMM'}.items() -%}
        {%- set pattern.text = pattern.text | replace(code, letters) -%}
    {%- endfor -%}
    date_format({{ value }}, {{ sql_text(pattern.text) }})
    {%- endif -%}
{%- endmacro %}


{# The ISO day of the week, Monday 1 to Sunday 7. #}
{% macro iso_day_of_week(value) -%}
    {{ return(adapter.dispatch('iso_day_of_week', 'bankmart')(value)) }}
{%- endmacro %}

{% macro default__iso_day_of_week(value) -%}
    isodow({{ value }})
{%- endmacro %}

{% macro spark__iso_day_of_week(value) -%}
    extract(dayofweek_iso from {{ value }})
{%- endmacro %}


{# The ISO week-numbering year (the year of the date's ISO week). #}
{% macro iso_year(value) -%}
    {{ return(adapter.dispatch('iso_year', 'bankmart')(value)) }}
{%- endmacro %}

{% macro default__iso_year(value) -%}
    isoyear({{ value }})
{%- endmacro %}

{% macro spark__iso_year(value) -%}
    extract(yearofweek from {{ value }})
{%- endmacro %}


{# The English name of the day (Monday) or of the month (January). #}
{% macro day_name(value) -%}
    {{ return(adapter.dispatch('day_name', 'bankmart')(value)) }}
{%- endmacro %}

{% macro default__day_name(value) -%}
    dayname({{ value }})
{%- endmacro %}

{% macro spark__day_name(value) -%}
    date_format({{ value }}, 'EEEE')
{%- endmacro %}

{% macro month_name(value) -%}
    {{ return(adapter.dispatch('month_name', 'bankmart')(value)) }}
{%- endmacro %}

{% macro default__month_name(value) -%}
    monthname({{ value }})
{%- endmacro %}

{% macro spark__month_name(value) -%}
    date_format({{ value }}, 'MMMM')
{%- endmacro %}


{#
    A query of one column `column_name`, every day from `start_date` to `end_date` (both
    included), for each row of `relation`.
#}
{% macro date_spine_rows(start_date, end_date, relation, column_name) -%}
    {{ return(adapter.dispatch('date_spine_rows', 'bankmart')(start_date, end_date, relation, column_name)) }}
{%- endmacro %}

{% macro default__date_spine_rows(start_date, end_date, relation, column_name) -%}
    select cast(unnest(generate_series({{ start_date }}, {{ end_date }}, interval 1 day)) as date) as {{ column_name }}
    from {{ relation }}
{%- endmacro %}

{% macro spark__date_spine_rows(start_date, end_date, relation, column_name) -%}
    select explode(sequence({{ start_date }}, {{ end_date }}, interval 1 day)) as {{ column_name }}
    from {{ relation }}
{%- endmacro %}


{#
    ntile(`buckets`) over (`window`) where the number of buckets is a column whose values are
    among `bucket_values` (Spark takes only a constant: one branch per value).
#}
{% macro ntile_of(buckets, bucket_values, window) -%}
    {{ return(adapter.dispatch('ntile_of', 'bankmart')(buckets, bucket_values, window)) }}
{%- endmacro %}

{% macro default__ntile_of(buckets, bucket_values, window) -%}
    ntile({{ buckets }}) over ({{ window }})
{%- endmacro %}

{% macro spark__ntile_of(buckets, bucket_values, window) -%}
    case {{ buckets }}
        {%- for value in bucket_values %}
        when {{ value }} then ntile({{ value }}) over ({{ window }})
        {%- endfor %}
    end
{%- endmacro %}
