{#
    One row per customer: lifetime behaviour over the whole reporting window, as DOUBLE features
    for tiers, segmentation and risk. The definitions live in the customer_features_as_of macro,
    shared with the risk classifiers' training set.
#}
{{ customer_features_as_of(months_held_out=0) }}
