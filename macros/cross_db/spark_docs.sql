{#
    Descriptions as Spark comments (persist_docs). dbt-spark escapes a quote as \' which, with
    escapedStringLiterals (profiles.yml), would keep the backslash; and the Hive metastore holds
    at most 256 characters of a column comment: a longer one makes every view take 20 s (the
    metastore retries) before it is stored cut. Here a comment is a literal that reads back as
    the description, columns' cut to 256 characters at a word.
#}
{% macro spark_comment_literal(text, limit=none) -%}
    {%- set text = (text or '') | string -%}
    {%- if limit and text | length > limit -%}
        {%- set text = text[:limit - 1].rsplit(' ', 1)[0] ~ '…' -%}
    {%- endif -%}
    {%- if "'" in text and '"' in text -%}
        {%- set text = text | replace("'", '’') -%}
    {%- endif -%}
    {{ return(('"' ~ text ~ '"') if "'" in text else ("'" ~ text ~ "'")) }}
{%- endmacro %}

{% macro get_column_comment_sql(column_name, column_dict) -%}
    {%- set clause = '' -%}
    {%- if column_name in column_dict and column_dict[column_name]['description'] -%}
        {%- set clause = 'comment ' ~ spark_comment_literal(column_dict[column_name]['description'], 256) -%}
    {%- endif -%}
    {{ adapter.quote(column_name) }} {{ clause }}
{%- endmacro %}

{% macro spark__comment_clause() %}
    {%- set raw_persist_docs = config.get('persist_docs', {}) -%}
    {%- if raw_persist_docs is mapping and raw_persist_docs.get('relation', false) -%}
        comment {{ spark_comment_literal(model.description) }}
    {%- elif raw_persist_docs is not mapping and raw_persist_docs -%}
        {{ exceptions.raise_compiler_error("Invalid value provided for 'persist_docs'. Expected dict but got value: " ~ raw_persist_docs) }}
    {%- endif %}
{% endmacro %}
