"""The data pipeline: load datasets, tokenize and mask them, pack them, and report what was found.

Import the pieces from their modules; this package imports nothing heavy so the validation path stays fast:
    engine.data.prepare.prepare_datasets / PreparedData   load + tokenize + split, cached
    engine.data.stats.DataFacts                           numbers for reports and the preflight rules
    engine.data.sampler.MultipackBatchSampler / PackedDataset
    engine.data.collators.PackedCollator / PaddedCollator
    engine.data.errors.DataError                           one-line, user-facing problems
"""
