{#
    sql_text(value): a SQL string literal holding value exactly.

    DuckDB doubles a quote inside a literal. Spark runs with escapedStringLiterals (profiles.yml),
    so that a backslash is a character on both engines and one regular expression serves both;
    there a quote or a backslash cannot be escaped inside a literal: a value holding a quote is
    written between double quotes (Spark's other literal quote), and one holding a backslash or
    both quotes as concat() of plain literals and chr(39) or chr(92), which is an expression,
    not a literal (not for COMMENT ... IS).
#}
{% macro sql_text(value) -%}
    {{ return(adapter.dispatch('sql_text', 'bankmart')(value)) }}
{%- endmacro %}

{% macro default__sql_text(value) -%}
    {{ return("'" ~ (value | string | replace("'", "''")) ~ "'") }}
{%- endmacro %}

{% macro spark__sql_text(value) -%}
    {%- set text = value | string -%}
    {%- if "\\" not in text and "'" not in text -%}
        {{ return("'" ~ text ~ "'") }}
    {%- elif "\\" not in text and '"' not in text -%}
        {{ return('"' ~ text ~ '"') }}
    {%- endif -%}
    {%- set parts = [] -%}
    {%- set current = [] -%}
    {%- for char in text -%}
        {%- if char in ("'", "\\") -%}
            {%- if current -%}
                {%- do parts.append("'" ~ (current | join) ~ "'") -%}
                {%- do current.clear() -%}
            {%- endif -%}
            {%- do parts.append('chr(39)' if char == "'" else 'chr(92)') -%}
        {%- else -%}
            {%- do current.append(char) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if current -%}
        {%- do parts.append("'" ~ (current | join) ~ "'") -%}
    {%- endif -%}
    {{ return('concat(' ~ (parts | join(', ')) ~ ')') }}
{%- endmacro %}

{#
    text_rows(values, column_name): a query of one text column, one row per value (none for an
    empty list), for joining a list known while compiling (column names, codes) to SQL.
#}
{% macro text_rows(values, column_name) -%}
    {%- if values -%}
    select {{ column_name }} from (values
        {%- for value in values %} ({{ sql_text(value) }}){{ ',' if not loop.last }}{% endfor %}
    ) as text_rows ({{ column_name }})
    {%- else -%}
    select cast(null as string) as {{ column_name }}
    where false
    {%- endif -%}
{%- endmacro %}
