"""Former home of the run's cost and budget, now in edukit.annotate.cost (one cost concept)."""

from edukit.annotate.cost import (  # noqa: F401 - names kept for existing imports
    Budget,
    load_prices_quietly,
    output_tokens_estimate,
    price,
    run_cost,
)
