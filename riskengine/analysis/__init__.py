"""Analysis of scores: the score itself, comparisons, sensitivity, closed-form calculators."""
