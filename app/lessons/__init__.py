"""The lessons: guided scenarios, exponentially weighted averages, sweeps and basin maps."""
