{#
    The same customer features as customer_features, observed only up to the start of the
    outcome window (the last `risk_outcome_months` months), so that the risk classifiers learn
    from the past and are scored on what happened afterwards.
#}
{{ customer_features_as_of(months_held_out=var('risk_outcome_months')) }}
