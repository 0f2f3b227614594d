"""Windows build profiles: every behaviour that differs per build or is uncertain, as data.

A profile is a YAML file in ``data/`` (``win10-22h2.yaml``); each option carries its value,
the confidence label of windows-client-behavior.md and the source it comes from, so a
reader of a test failure can see whether the emulator was following a documented fact or
a guess. ``load_profile(name)`` returns a validated, typed :class:`Profile`.
"""

from emulator.profiles.loader import ProfileError, available_profiles, load_profile
from emulator.profiles.schema import Confidence, OptionSource, Profile, ProfileOptions

__all__ = [
    "Confidence",
    "OptionSource",
    "Profile",
    "ProfileError",
    "ProfileOptions",
    "available_profiles",
    "load_profile",
]
