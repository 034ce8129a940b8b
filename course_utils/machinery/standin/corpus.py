"""Stand-in for ``Salesforce/wikitext`` (config ``wikitext-2-raw-v1``): encyclopedic raw text.

Used in notebooks/04_training_tokenizers.ipynb.

The text imitates the raw WikiText format: one row per line, article headings
``" = Title = \\n"``, section headings ``" = = Section = = \\n"`` (and ``" = = = Sub = = = \\n"``),
an empty row ``""`` before and after each heading, and paragraphs of several sentences with
spaces around punctuation (``" , "``, ``" . "``, ``" @-@ "``, ``"1 @,@ 250"``, ``"3 @.@ 5"``).
Articles are about made-up towns, people, battles, species, albums, ships, buildings,
rivers and sports seasons, with names built from syllables (so that every seed has its own
rare proper nouns), years, dates and numbers, filled into many sentence templates over a
few thousand English word types: enough variety for training a BPE or WordPiece tokenizer
with a vocabulary of several thousand.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from . import _vocab as V
from ._vocab import lines, words

if TYPE_CHECKING:  # pragma: no cover
    import datasets

DEFAULT_TRAIN_LINES = 20000

Slot = Callable[[random.Random, dict], str]

# --- templates -------------------------------------------------------------------------------
# {name} is a slot filled by _SLOTS[name]; everything else is literal text, already spaced
# the WikiText way.

# The first sentence of each kind of article.
_INTRO: dict[str, tuple[str, ...]] = {
    "settlement": lines(
        """
        {T} is a {size} in {C} , about {KM} {dir} of {PL} .
        {T} is a {adj} {size} and former {noun} in the {dir} of {C} , on the banks of the {PL}
            River .
        {T} ( {NAT} : {PLr} ) is a {size} in the {PL} district of {C} , with a population of {BIG}
            at the {Y} census .
        """
    ),
    "person": lines(
        """
        {T} ( {D} {M} {YB} – {D} {M} {YD} ) was a {NAT} {occ} and {occ} .
        {T} ( born {Ts} ; {YB} – {YD} ) was a {NAT} {occ} , best known for {his} work on the {adj}
            {nouns} of {PL} .
        {T} ( {YB} – {YD} ) was a {adj} {NAT} {occ} who {verbed} the {noun} of {PL} in {Y} .
        """
    ),
    "battle": lines(
        """
        The {T} was fought on {D} {M} {Y0} near {PL} , between the armies of {C} and {C2} .
        The {T} ( {NAT} : {PLr} ) took place in {M} {Y0} during the {PL} War , when a {NAT} force
            of {BIG} men attacked the garrison of {PL} .
        """
    ),
    "species": lines(
        """
        {T} is a species of {animal} in the family {GEN}idae . It is {endemic} {PL} and the
            {dir}ern parts of {C} .
        {T} , commonly known as the {colour} @-@ {part} {animal} , is a {adj} {animal} found in the
            {habitat} of {C} .
        """
    ),
    "album": lines(
        """
        {T} is the {ord} studio album by the {NAT} {genre} band {BAND} , released on {D} {M} {Y0}
            by {LABEL} Records .
        " {T} " is a song by the {NAT} singer {P} , released in {M} {Y0} as the {ord} single from
            the album {WORK} .
        """
    ),
    "ship": lines(
        """
        {T} was a {shipclass} built for the {NAT} Navy in the {DEC} . She was {verbed} at {PL} and
            launched on {D} {M} {Y0} .
        {T} was a {NAT} {shipclass} that served during the {PL} War and was sold for scrap in {YL}
            .
        """
    ),
    "building": lines(
        """
        The {T} is a {adj} {style} building in {PL} , {C} , built between {Y0} and {Y2} to designs
            by the architect {P} .
        {T} is a Grade {grade} listed building in the village of {PL} , dating from the {ORD}
            century . It was {verbed} by {P} in {Y0} .
        """
    ),
    "river": lines(
        """
        The {T} is a river in {C} , {KM} long , which rises on the slopes of Mount {PL} and flows
            {dir} into the {PL} .
        The {T} is a {adj} river of the {PL} region , a tributary of the {PL} River , with a
            catchment of {BIG} square kilometres .
        """
    ),
    "season": lines(
        """
        The {T} was the {ORDN} season of competitive football played by {CLUB} , and their {ORDN}
            season in the {LEAGUE} .
        The {T} saw {CLUB} compete in the {LEAGUE} , the {FACUP} and the {PL} Cup , finishing the
            league in {ORDN} place .
        """
    ),
}

# Sentences for the body of each kind of article.
_TEMPLATES: dict[str, tuple[str, ...]] = {
    "settlement": lines(
        """
        The {size} grew around a {adj} {noun} , which is first recorded in a charter of {YE} .
        In the {DEC} , the arrival of the railway brought new {nouns} and the population rose to
            {BIG} .
        Its economy was based on {good} , {good} and the manufacture of {goods} until the {DEC} .
        The parish church of St {G} dates from the {ORD} century , although the tower was {verbed}
            in {Y} .
        {T} has a {climate} climate , with an average annual rainfall of {N2} millimetres (
            {DECIMAL} in ) .
        At the {Y} census the {size} had {BIG} inhabitants , of whom {PCT} were born outside {C} .
        The main road from {PL} to {PL} passes through the centre of {Ts} , crossing the river on a
            {adj} bridge of {N} arches .
        A weekly market has been held in the square since {YE} , when {P} obtained a royal charter
            .
        The local football club , {Ts} United , plays at {PS} Park , a ground with a capacity of
            {BIG} .
        Notable residents have included the {occ} {P} and the {occ} {P} , who {verbed} the {adj}
            {noun} in {Y} .
        The {size} lies at an elevation of {ELEV} above sea level , on a {adj} {landform} between
            the {PL} and the {PL} .
        {Ts} is twinned with {PL} in {C} and with {PL} in {C2} .
        Most of the {adj} houses in the old town were built of {material} in the {DEC} and {DEC} .
        The {ORG} , founded in {Y} , is the largest employer in the {size} , with {BIG} staff .
        """
    ),
    "person": lines(
        """
        {He} was born in {PL} , the {ord} of {NW} children of {P} , a {occ} , and {his} wife {G} .
        {He} was educated at the {ORG} , where {he} studied {subject} under {P} .
        In {Y} {he} moved to {PL} , where {he} {verbed} a {adj} {noun} with {his} friend {P} .
        {His} first major work , {WORK} , was published in {Y} and was {adv} {verbed} by critics .
        {He} married {G} {PS} in {Y} ; they had {NW} children , one of whom became a {occ} .
        {He} died at {his} home in {PL} on {D} {M} {YD} , at the age of {N} .
        Between {Y} and {Y2} , {Ts} served as the {adj} {office} of {PL} .
        In a letter to {P} , {he} described the {noun} as " {adj} , {adj} and {adv} {adj} " .
        {His} papers are held by the {ORG} , and a statue of {him} stands in the main square of
            {PL} .
        After the death of {his} father in {Y} , {Ts} inherited the family {noun} at {PL} .
        {He} was elected a fellow of the {ORG} in {Y} and was awarded its {adj} medal in {Y2} .
        Critics such as {P} have argued that {his} later {nouns} are {adv} {adj} than {his} early
            work .
        {Ts} is remembered for {his} role in the {adj} {event} of {Y} , which {he} {adv} {verbed} .
        """
    ),
    "battle": lines(
        """
        The {NAT} commander , General {P} , had {BIG} infantry , {N2} cavalry and {N} guns under
            his command .
        On the morning of {D} {M} , the {ord} Division advanced across the {PL} under heavy fire .
        By nightfall the {NAT} had lost {BIG} men killed or wounded , and {N2} were taken prisoner
            .
        The defenders {adv} {verbed} the {adj} {noun} , but were forced to withdraw to {PL} on the
            following day .
        The battle is regarded by historians such as {P} as a {adj} victory for {C} .
        The Treaty of {PL} , signed in {M} {Y} , ended the war and returned {PL} to {C} .
        Reinforcements under {P} arrived from {PL} on {D} {M} , too late to affect the outcome .
        The {adj} weather turned the roads to mud and delayed the {NAT} advance by {NW} days .
        A memorial to the dead was {verbed} on the battlefield in {YL} .
        Casualty figures remain disputed : {NAT} sources give {BIG} dead , while {P} estimates
            {BIG} .
        """
    ),
    "species": lines(
        """
        The species was first described by the {NAT} {occ} {P} in {Y} , from a specimen collected
            near {PL} .
        Adults reach a length of {DECIMAL} centimetres ( {DECIMAL} in ) and weigh up to {N2} grams
            .
        The upperparts are {colour} with {colour} {markings} , while the underparts are pale
            {colour} .
        It feeds mainly on {foods} , {foods} and small {preys} , which it takes from the
            {substrate} .
        The breeding season lasts from {M} to {M} , and the female lays {NW} to {NW} eggs in a nest
            of {nestmat} .
        It is found in {habitat} at altitudes of up to {ELEV} .
        The {IUCN} lists the species as {status} , owing to the loss of its {habitat} to {threat} .
        The specific name {EPI} honours {P} , who collected the type specimen in {Y} .
        Several subspecies have been proposed , including {SPr} from the {PL} Islands .
        Like other members of the genus {GEN} , it is {behav} and {behav} .
        """
    ),
    "album": lines(
        """
        The album was recorded at {PS} Studios in {PL} over {NW} weeks in {M} {Y0} , with {P} as
            producer .
        The lead single , " {WORKs} " , reached number {N} on the {NAT} singles chart .
        Critics {adv} praised the album 's {adj} {mnoun} and {adj} {mnoun} , although {P} of {MAG}
            found it " {adj} " .
        The band toured {C} and {C2} in support of the album , playing {N2} concerts between {M}
            and {M} .
        The album sold {BIG} copies in its first week and was certified gold in {Y} .
        {P} wrote most of the lyrics , which deal with {theme} , {theme} and {theme} .
        The song features a {adj} {instrument} part played by {P} and a {adj} {instrument} solo .
        In a {Y} interview , {P} described the record as " the most {adj} thing we have ever done "
            .
        A remastered edition with {NW} bonus tracks was released on {D} {M} {YL} .
        """
    ),
    "ship": lines(
        """
        The ship was {BIG} feet ( {N2} m ) long overall , with a beam of {N} feet and a draught of
            {DECIMAL} metres .
        She was powered by {NW} {engine} driving {NW} shafts , which gave a top speed of {N} knots
            ( {N} km / h ) .
        Her armament consisted of {NW} {N} @-@ inch guns and {NW} torpedo tubes .
        She was laid down at the {PS} shipyard in {PL} on {D} {M} {Y0} and completed in {Y} .
        During the war she escorted convoys between {PL} and {PL} , and rescued {N2} survivors from
            the {SHIP} .
        In {Y} she was {verbed} and {adv} converted into a {adj} {noun} .
        The ship ran aground off {PL} on {D} {M} {Y} ; her crew of {N2} was rescued by local
            {nouns} .
        She was decommissioned in {YL} and sold to {P} for scrapping .
        Her captain , Commander {P} , was {verbed} for his conduct during the action off {PL} .
        """
    ),
    "building": lines(
        """
        The building is constructed of {material} with {material} dressings , and has a {adj} roof
            of {roofmat} .
        The {adj} facade has {NW} bays , with a central {feature} flanked by {adj} {features} .
        The interior contains a {adj} {feature} and a {adj} {feature} , both {verbed} in the {DEC}
            .
        It was {verbed} by fire in {Y} and {adv} rebuilt to a design by {P} .
        In {Y} the {noun} was bought by the {ORG} , which {verbed} it as a {noun} .
        A programme of restoration costing £ {BIG} was completed in {YL} .
        The architectural historian {P} called it " one of the most {adj} buildings in {C} " .
        The grounds include a {adj} garden , a {noun} and a small {noun} built in {Y} .
        """
    ),
    "river": lines(
        """
        The river rises in {habitat} near {PL} at a height of {ELEV} .
        Below {PL} the valley widens and the river meanders through {adj} {landforms} .
        Its main tributaries are the {PL} , the {PL} and the {PL} Water .
        The river supports populations of {animals} , {animals} and the rare {SPr} .
        A {adj} {noun} was {verbed} across the river at {PL} in {Y} .
        Severe floods in {Y} and {Y2} damaged {N2} houses in the lower valley .
        The mean discharge at {PL} is {DECIMAL} cubic metres per second .
        In the {DEC} mills along the river produced {goods} and {goods} .
        """
    ),
    "season": lines(
        """
        {CLUB} began the season under manager {P} , who had been appointed in {M} .
        The club signed {P} from {CLUB2} for a fee of £ {BIG} .
        A run of {NW} consecutive wins in {M} took the team to the top of the table .
        {P} was the club 's top scorer with {N} goals in all competitions .
        The average home attendance at {PS} Park was {BIG} .
        In the {FACUP} , {CLUB} were knocked out in the {ord} round by {CLUB2} .
        On {D} {M} the team lost {SCORE} away to {CLUB2} , their heaviest defeat of the season .
        At the end of the season {P} left to join {CLUB2} .
        """
    ),
}

# Sentences that fit any article.
_GENERIC: tuple[str, ...] = lines(
    """
    In {Y} , the {adj} {noun} of {PL} was {adv} {verbed} .
    According to {P} , the {noun} had been {verbed} by the {adj} {nouns} of the {ORD} century .
    {P} later described it as " {adj} and {adj} " .
    During the {DEC} , the {nouns} of {PL} {verbed} {N} {nouns} .
    The {nouns} were {adv} {verbed} in {Y} , and by {Y2} only {NW} remained .
    It was the {ord} {noun} to be {verbed} in {C} .
    This was {adv} {verbed} by the {ORG} in {Y} .
    The {adj} {noun} , which had stood since {YE} , was {verbed} in {Y} .
    A {adj} {noun} was {verbed} on {D} {M} {Y} in the presence of {P} .
    {P} , a {occ} from {PL} , {verbed} the {noun} in {Y} .
    The {noun} is mentioned in the {adj} {noun} of {P} , written in {Y} .
    Between {Y} and {Y2} the {noun} was {adv} {verbed} and {verbed} .
    About {PCT} of the {nouns} were {verbed} , compared with {PCT} in {PL} .
    The cost of the work , £ {BIG} , was met by {P} and the {ORG} .
    However , the {noun} was {adv} {verbed} after the {event} of {Y} .
    It is one of {NW} {adj} {nouns} in the {PL} area .
    The {nouns} and {nouns} of the region were {verbed} by {P} in {Y} .
    In {M} {Y} , {P} and {P} {verbed} a {adj} {noun} near {PL} .
    The name is thought to derive from an old word meaning " {adj} {noun} " .
    It has been {adv} {verbed} as a {adj} example of {adj} {noun} .
    A {adj} @-@ {adj} {noun} was recorded there in {Y} .
    Some {NW} years later , the {noun} was {verbed} and {verbed} by {P} .
    The {adj} {nouns} were not {verbed} until {Y} , when {P} {verbed} them .
    Its {nouns} , {nouns} and {nouns} were {verbed} in a survey of {Y} .
    By the end of the {ORD} century the {noun} had become a {adj} {noun} .
    The {ORG} {verbed} a {adj} report on the {noun} in {Y} .
    {P} argued that the {noun} was " {adv} {adj} " and should be {verbed} .
    A {adj} {noun} of {BIG} {nouns} was {verbed} there in the {DEC} .
    The {noun} measures {DECIMAL} metres in length and {DECIMAL} metres in width .
    The {nouns} of the {adj} period are {adv} {adj} .
    This view was {verbed} by {P} in a {adj} {noun} published in {Y} .
    There are {NW} {nouns} in the {noun} , the oldest of which dates from {YE} .
    The {event} of {Y} {adv} {verbed} the {adj} {nouns} of {PL} .
    {P} 's {adj} {noun} of {Y} was {verbed} by {P} .
    Locally it is known as the " {adj} {noun} " .
    The {noun} was {verbed} for the {ord} time in {Y} ; it was {verbed} again in {Y2} .
    """
)

# --- world: names built from syllables -------------------------------------------------------


def _syllable(rng: random.Random) -> str:
    s = rng.choice(V.ONSETS) + rng.choice(V.VOWELS)
    if rng.random() < 0.45:
        s += rng.choice(V.CODAS)
    return s


def _stem(rng: random.Random, lo: int = 1, hi: int = 3) -> str:
    return "".join(_syllable(rng) for _ in range(rng.randint(lo, hi)))


class _World:
    """Per-seed pools of proper nouns; picks are Zipf-like (few frequent, many rare)."""

    def __init__(self, rng: random.Random) -> None:
        self.places = self._unique(rng, 2500, self._place)
        self.surnames = self._unique(rng, 3000, self._surname)
        countries = self._unique(rng, 40, lambda r: _stem(r, 2, 3).capitalize())
        self.countries = countries
        self.nationalities = {c: self._demonym(c) for c in countries}
        self.genera = self._unique(rng, 400, lambda r: _stem(r, 2, 3).capitalize())
        self.epithets = self._unique(
            rng, 600, lambda r: _stem(r, 1, 2) + rng.choice(V.LATIN_ENDINGS)
        )
        self.bands = self._unique(rng, 300, self._band)

    @staticmethod
    def _unique(rng: random.Random, n: int, make: Callable[[random.Random], str]) -> list[str]:
        seen: dict[str, None] = {}
        while len(seen) < n:
            seen.setdefault(make(rng), None)
        return list(seen)

    @staticmethod
    def _place(rng: random.Random) -> str:
        stem = _stem(rng, 1, 2)
        if rng.random() < 0.55:
            stem += rng.choice(V.PLACE_SUFFIXES)
        return stem.capitalize()

    @staticmethod
    def _surname(rng: random.Random) -> str:
        stem = _stem(rng, 1, 2)
        if rng.random() < 0.6:
            stem += rng.choice(V.SURNAME_SUFFIXES)
        return stem.capitalize()

    @staticmethod
    def _demonym(country: str) -> str:
        if country[-1] in "aeiou":
            return country[:-1] + ("ese" if len(country) % 2 else "ian")
        return country + ("ian" if len(country) % 3 else "ic")

    @staticmethod
    def _band(rng: random.Random) -> str:
        adj = rng.choice(V.ADJECTIVES).capitalize()
        noun = _plural(rng.choice(V.NOUNS)).capitalize()
        return f"The {adj} {noun}" if rng.random() < 0.7 else _stem(rng, 2, 3).capitalize()


def _zipf(rng: random.Random, pool: list[str] | tuple[str, ...], power: float = 2.2) -> str:
    return pool[int(len(pool) * rng.random() ** power)]


def _plural(noun: str) -> str:
    if noun in V.IRREGULAR_PLURALS:
        return V.IRREGULAR_PLURALS[noun]
    if noun.endswith("man"):
        return noun[:-3] + "men"
    if noun.endswith(("s", "x", "ch", "sh", "z")):
        return noun + "es"
    if noun.endswith("y") and noun[-2:-1] not in ("a", "e", "o", "u"):
        return noun[:-1] + "ies"
    return noun + "s"


def _big(rng: random.Random) -> str:
    return _number(int(1000 * 60 ** rng.random()))


def _number(n: int) -> str:
    return f"{n // 1000} @,@ {n % 1000:03d}" if n >= 1000 else str(n)


def _km(rng: random.Random, ctx: dict) -> str:
    km = rng.randint(2, 240)
    return f"{km} kilometres ( {round(km * 0.621)} mi )"


def _elevation(rng: random.Random, ctx: dict) -> str:
    m = rng.randint(20, 3200)
    return f"{_number(m)} metres ( {_number(round(m * 3.281))} ft )"


def _decimal(rng: random.Random) -> str:
    return f"{rng.randint(1, 40)} @.@ {rng.randint(1, 9)}"


def _ordinal_number(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _title_case(text: str) -> str:
    return " ".join(w if w == "@-@" else w.capitalize() for w in text.split())


# Word lists for the lowercase slots of the templates ("market_town" is "market town").
_A: dict[str, tuple[str, ...]] = {
    "size": words("town village market_town city small_town port_town hamlet parish"),
    "climate": words("temperate oceanic continental semi_@-@_arid subtropical mild"),
    "good": words("wool timber coal salt barley linen pottery fishing iron lace"),
    "goods": words("bricks nails carpets paper gloves ropes clocks bicycles candles boots"),
    "landform": words("ridge terrace plateau spur headland gravel_bank"),
    "landforms": words("meadows water_meadows marshes farmland gorges wetlands"),
    "material": words("limestone sandstone granite red_brick flint timber rubble ashlar"),
    "roofmat": words("slate clay_tiles lead copper stone_slabs thatch"),
    "feature": words("porch tower staircase fireplace gallery chancel_arch doorway rose_window"),
    "features": words("wings pavilions buttresses pilasters turrets dormers"),
    "style": words("Gothic_Revival Baroque neoclassical Tudor Art_Deco Romanesque Italianate"),
    "subject": words(
        """
        law medicine theology mathematics chemistry classics music painting engineering
        """
    ),
    "office": words("mayor governor chancellor treasurer ambassador bishop member_of_parliament"),
    "event": words("election rebellion strike fire flood famine reform revolution crisis war"),
    "genre": words("rock folk jazz pop metal punk soul electronic"),
    "mnoun": words("production songwriting lyrics arrangements vocals melodies guitar_work"),
    "theme": words("loss memory love politics childhood exile faith the_sea ageing"),
    "instrument": words("guitar piano organ violin saxophone trumpet cello harmonica drum"),
    "shipclass": words("destroyer frigate cruiser sloop gunboat minesweeper corvette battleship"),
    "engine": words("steam_turbines triple_@-@_expansion_engines diesel_engines"),
    "animal": words("beetle moth frog lizard songbird snail spider bat shrew orchid fern"),
    "animals": words("otters trout salmon kingfishers herons dragonflies voles eels"),
    "part": words("throated winged tailed backed headed bellied crowned"),
    "colour": words("olive grey chestnut black rufous pale golden white brown slate"),
    "markings": words("spots streaks bars bands stripes patches"),
    "foods": words("seeds insects berries snails worms leaves nectar fruit"),
    "preys": words("frogs lizards crustaceans fish beetles spiders"),
    "substrate": words("ground leaf_litter bark_of_trees water_surface forest_floor"),
    "nestmat": words("grass moss twigs mud feathers leaves"),
    "habitat": words(
        """
        montane_forest lowland_rainforest dry_scrubland wet_grassland mangroves rocky_hillsides
        cloud_forest river_valleys heathland coastal_dunes
        """
    ),
    "status": words("Least_Concern Near_Threatened Vulnerable Endangered Data_Deficient"),
    "threat": words("logging agriculture mining urban_development grazing fire"),
    "behav": words("nocturnal solitary territorial shy gregarious arboreal migratory"),
    "endemic": words("endemic_to native_to found_only_in widespread_in"),
    "IUCN": words("IUCN International_Union_for_Conservation_of_Nature"),
    "grade": words("I II II_*"),
    "MAG": words("The_Observer Rolling_Stone the_Gazette Melody_Maker the_Chronicle Sounds"),
}


def _slot_table() -> dict[str, Slot]:
    z = _zipf

    def title(rng: random.Random, ctx: dict) -> str:
        return ctx["T"]

    def place(rng: random.Random, ctx: dict) -> str:
        return z(rng, ctx["w"].places)

    def person(rng: random.Random, ctx: dict) -> str:
        w = ctx["w"]
        if rng.random() < 0.15:
            return (
                f"{rng.choice(V.GIVEN_NAMES)} {rng.choice(V.GIVEN_NAMES)[0]} . {z(rng, w.surnames)}"
            )
        return f"{z(rng, V.GIVEN_NAMES, 1.3)} {z(rng, w.surnames)}"

    def year(rng: random.Random, ctx: dict) -> str:
        ctx["last_year"] = y = min(2015, ctx["y0"] + rng.randint(-3, 35))
        return str(y)

    def later_year(rng: random.Random, ctx: dict) -> str:
        ctx["last_year"] = y = ctx.get("last_year", ctx["y0"]) + rng.randint(1, 25)
        return str(y)

    def org(rng: random.Random, ctx: dict) -> str:
        inst = rng.choice(V.INSTITUTIONS)
        if rng.random() < 0.5:
            return f"{inst} of {z(rng, ctx['w'].places)}"
        return f"{z(rng, ctx['w'].places)} {inst}"

    def country(rng: random.Random, ctx: dict) -> str:
        return ctx["C"] if rng.random() < 0.5 else z(rng, ctx["w"].countries, 1.5)

    def nat(rng: random.Random, ctx: dict) -> str:
        w = ctx["w"]
        c = ctx["C"] if rng.random() < 0.6 else z(rng, w.countries, 1.5)
        return w.nationalities[c]

    def work(rng: random.Random, ctx: dict) -> str:
        return _title_case(f"the {rng.choice(V.ADJECTIVES)} {rng.choice(V.NOUNS)}")

    def pron(key: str) -> Slot:
        return lambda rng, ctx: ctx["pron"][key]

    def choice(key: str) -> Slot:
        pool = _A[key]
        return lambda rng, ctx: rng.choice(pool)

    def club(rng: random.Random, ctx: dict) -> str:
        return f"{z(rng, ctx['w'].places)} {rng.choice(_CLUB_SUFFIXES)}"

    table: dict[str, Slot] = {
        "T": title,
        "Ts": lambda rng, ctx: ctx["Ts"],
        "PL": place,
        "PLr": lambda rng, ctx: _stem(rng, 2, 4).capitalize(),
        "P": person,
        "PS": lambda rng, ctx: z(rng, ctx["w"].surnames),
        "G": lambda rng, ctx: rng.choice(V.GIVEN_NAMES),
        "C": country,
        "C2": lambda rng, ctx: z(rng, ctx["w"].countries, 1.5),
        "NAT": nat,
        "ORG": org,
        "Y": year,
        "Y2": later_year,
        "Y0": lambda rng, ctx: str(ctx["y0"]),
        "YE": lambda rng, ctx: str(ctx["y0"] - rng.randint(20, 400)),
        "YL": lambda rng, ctx: str(min(2015, ctx["y0"] + rng.randint(30, 120))),
        "YB": lambda rng, ctx: str(ctx["yb"]),
        "YD": lambda rng, ctx: str(ctx["yd"]),
        "DEC": lambda rng, ctx: f"{(ctx['y0'] + rng.randint(-20, 40)) // 10 * 10}s",
        "ORD": lambda rng, ctx: _ordinal_number(ctx["y0"] // 100 + rng.choice((0, 0, 1, -1))),
        "ORDN": lambda rng, ctx: _ordinal_number(rng.randint(2, 90)),
        "M": lambda rng, ctx: rng.choice(V.MONTHS),
        "D": lambda rng, ctx: str(rng.randint(1, 28)),
        "N": lambda rng, ctx: str(rng.randint(2, 60)),
        "N2": lambda rng, ctx: str(rng.randint(100, 999)),
        "BIG": lambda rng, ctx: _big(rng),
        "KM": _km,
        "ELEV": _elevation,
        "DECIMAL": lambda rng, ctx: _decimal(rng),
        "PCT": lambda rng, ctx: f"{rng.randint(2, 95)} %",
        "NW": lambda rng, ctx: rng.choice(V.NUMBER_WORDS),
        "ord": lambda rng, ctx: rng.choice(V.ORDINALS),
        "adj": lambda rng, ctx: z(rng, V.ADJECTIVES, 1.4),
        "noun": lambda rng, ctx: z(rng, V.NOUNS, 1.4),
        "nouns": lambda rng, ctx: _plural(z(rng, V.NOUNS, 1.4)),
        "verbed": lambda rng, ctx: z(rng, V.VERBS_PAST, 1.4),
        "adv": lambda rng, ctx: rng.choice(V.ADVERBS),
        "occ": lambda rng, ctx: rng.choice(V.OCCUPATIONS),
        "dir": lambda rng, ctx: rng.choice(V.DIRECTIONS),
        "he": pron("he"),
        "He": pron("He"),
        "his": pron("his"),
        "His": pron("His"),
        "him": pron("him"),
        "WORK": work,
        "WORKs": work,
        "BAND": lambda rng, ctx: ctx.get("band") or z(rng, ctx["w"].bands),
        "LABEL": lambda rng, ctx: z(rng, ctx["w"].surnames).capitalize(),
        "GEN": lambda rng, ctx: ctx.get("genus") or z(rng, ctx["w"].genera),
        "EPI": lambda rng, ctx: ctx.get("epithet") or z(rng, ctx["w"].epithets),
        "SPr": lambda rng, ctx: f"{z(rng, ctx['w'].genera)} {z(rng, ctx['w'].epithets)}",
        "SHIP": lambda rng, ctx: f"SS {z(rng, ctx['w'].places)}",
        "CLUB": lambda rng, ctx: ctx.get("club") or club(rng, ctx),
        "CLUB2": club,
        "LEAGUE": lambda rng, ctx: rng.choice(
            (
                "First Division",
                "Second Division",
                "Third Division",
                "Southern League",
                "Football League",
            )
        ),
        "FACUP": lambda rng, ctx: "FA Cup" if rng.random() < 0.5 else "League Cup",
        "SCORE": lambda rng, ctx: f"{rng.randint(3, 7)} – {rng.randint(0, 2)}",
    }
    for key in _A:
        table[key] = choice(key)
    return table


_SLOTS = _slot_table()
_SLOT_RE = re.compile(r"\{(\w+)\}")


def _compile(template: str) -> tuple[object, ...]:
    parts: list[object] = []
    pos = 0
    for m in _SLOT_RE.finditer(template):
        if m.start() > pos:
            parts.append(template[pos : m.start()])
        parts.append(_SLOTS[m.group(1)])
        pos = m.end()
    if pos < len(template):
        parts.append(template[pos:])
    return tuple(parts)


_C_INTRO = {k: tuple(_compile(t) for t in v) for k, v in _INTRO.items()}
_C_TEMPLATES = {k: tuple(_compile(t) for t in v) for k, v in _TEMPLATES.items()}
_C_GENERIC = tuple(_compile(t) for t in _GENERIC)
_AN_RE = re.compile(r"(?<![\w@])([Aa]) (?=[aeiouAEIOU])")


def _fill(parts: tuple[object, ...], rng: random.Random, ctx: dict) -> str:
    return "".join(p if isinstance(p, str) else p(rng, ctx) for p in parts)  # type: ignore[operator]


# --- articles --------------------------------------------------------------------------------

_KINDS = (
    "settlement",
    "person",
    "battle",
    "species",
    "album",
    "ship",
    "building",
    "river",
    "season",
)
_CLUB_SUFFIXES = words("United City Rovers Athletic Town Wanderers")
_BUILDING_KINDS = words("Cathedral Hall Abbey Castle House Bridge Town_Hall Priory Chapel Mill")
_KIND_WEIGHTS = (0.2, 0.22, 0.1, 0.1, 0.1, 0.07, 0.08, 0.06, 0.07)


def _new_context(rng: random.Random, w: _World, kind: str) -> dict:
    if kind in ("settlement", "building", "person", "battle"):
        y0 = rng.randint(1500, 1960)
    elif kind in ("album", "season"):
        y0 = rng.randint(1950 if kind == "album" else 1890, 2012)
    else:
        y0 = rng.randint(1800, 2000)
    ctx: dict = {"w": w, "y0": y0, "C": _zipf(rng, w.countries, 1.5)}
    he = {"he": "it", "He": "It", "his": "its", "His": "Its", "him": "it"}
    if kind == "settlement":
        ctx["T"] = ctx["Ts"] = _zipf(rng, w.places, 1.0)
    elif kind == "person":
        given = rng.choice(V.GIVEN_NAMES)
        surname = _zipf(rng, w.surnames, 1.0)
        ctx["T"], ctx["Ts"] = f"{given} {surname}", surname
        ctx["yb"] = y0 - rng.randint(20, 40)
        ctx["yd"] = y0 + rng.randint(36, 60)
        if given in V.FEMALE_NAMES:
            he = {"he": "she", "He": "She", "his": "her", "His": "Her", "him": "her"}
        else:
            he = {"he": "he", "He": "He", "his": "his", "His": "His", "him": "him"}
    elif kind == "battle":
        event = rng.choice(("Battle", "Battle", "Siege", "Skirmish"))
        ctx["T"] = f"{event} of {_zipf(rng, w.places, 1.0)}"
        ctx["Ts"] = "the battle"
    elif kind == "species":
        ctx["genus"] = _zipf(rng, w.genera, 1.0)
        ctx["epithet"] = _zipf(rng, w.epithets, 1.0)
        ctx["T"] = f"{ctx['genus']} {ctx['epithet']}"
        ctx["Ts"] = "the species"
    elif kind == "album":
        ctx["band"] = _zipf(rng, w.bands, 1.0)
        ctx["T"] = _title_case(f"{rng.choice(V.ADJECTIVES)} {_plural(rng.choice(V.NOUNS))}")
        ctx["Ts"] = "the album"
    elif kind == "ship":
        prefix = rng.choice(("HMS", "SS", "USS", "HMAS", "RMS"))
        ctx["T"] = f"{prefix} {_zipf(rng, w.places, 1.0)}"
        ctx["Ts"] = "the ship"
        he = {"he": "she", "He": "She", "his": "her", "His": "Her", "him": "her"}
    elif kind == "building":
        place = _zipf(rng, w.places, 1.0)
        ctx["T"] = f"{place} {rng.choice(_BUILDING_KINDS)}"
        ctx["Ts"] = "the building"
    elif kind == "river":
        ctx["T"] = (
            f"River {_zipf(rng, w.places, 1.0)}"
            if rng.random() < 0.5
            else f"{_zipf(rng, w.places, 1.0)} River"
        )
        ctx["Ts"] = "the river"
    else:  # season
        club = f"{_zipf(rng, w.places, 1.0)} {rng.choice(_CLUB_SUFFIXES[:5])}"
        ctx["club"] = club
        ctx["T"] = f"{y0} – {(y0 + 1) % 100:02d} {club} F.C. season"
        ctx["Ts"] = club
    ctx["pron"] = he
    ctx["unused"] = rng.sample(_C_TEMPLATES[kind], len(_C_TEMPLATES[kind]))
    return ctx


def _paragraph(rng: random.Random, ctx: dict, kind: str, intro: bool) -> str:
    n = rng.choice((2, 3, 3, 4, 4, 5, 5, 6, 7, 8))
    sentences = [_fill(rng.choice(_C_INTRO[kind]), rng, ctx)] if intro else []
    unused = ctx["unused"]  # the article's own templates not used yet, in random order
    while len(sentences) < n:
        if unused and rng.random() < 0.55:
            parts = unused.pop()
        else:
            parts = rng.choice(_C_GENERIC)
        sentences.append(_fill(parts, rng, ctx))
    text = " ".join(sentences)
    return " " + _AN_RE.sub(r"\1n ", text) + " \n"


def _article(rng: random.Random, w: _World) -> list[str]:
    """The rows of one article: title, lead paragraphs, then sections."""
    kind = rng.choices(_KINDS, _KIND_WEIGHTS)[0]
    ctx = _new_context(rng, w, kind)
    rows = ["", f" = {ctx['T']} = \n", ""]
    rows += [_paragraph(rng, ctx, kind, intro=i == 0) for i in range(rng.choice((1, 1, 2, 3)))]
    sections = V.SECTIONS[kind]
    for section in rng.sample(sections, rng.randint(2, min(6, len(sections)))):
        rows += ["", f" = = {section} = = \n", ""]
        rows += [_paragraph(rng, ctx, kind, False) for _ in range(rng.choice((1, 1, 2, 2, 3)))]
        if rng.random() < 0.15:
            rows += ["", f" = = = {rng.choice(V.SUBSECTIONS)} = = = \n", ""]
            rows += [_paragraph(rng, ctx, kind, False) for _ in range(rng.choice((1, 2)))]
    return rows


def _lines(rng: random.Random, w: _World, n: int) -> list[str]:
    """Exactly ``n`` rows of whole articles (the last one cut short)."""
    rows: list[str] = []
    while len(rows) < n:
        rows += _article(rng, w)
    return rows[:n]


def corpus_features() -> datasets.Features:
    """The :class:`datasets.Features` of ``wikitext-2-raw-v1`` (and of :func:`make_corpus`)."""
    import datasets

    return datasets.Features({"text": datasets.Value("string")})


def make_corpus(seed: int = 0, n_train_lines: int = DEFAULT_TRAIN_LINES) -> datasets.DatasetDict:
    """Generate a stand-in for ``Salesforce/wikitext`` config ``wikitext-2-raw-v1``.

    Returns a :class:`datasets.DatasetDict` with splits train, validation and test and a
    single ``text`` column (string), one row per line in the raw WikiText format: headings
    such as ``" = Title = \\n"`` and ``" = = Section = = \\n"`` surrounded by empty rows
    ``""``, and paragraphs of encyclopedic sentences ending with ``"\\n"``. The train split
    has ``n_train_lines`` rows (about 3 MB of text at the default 20000); validation and
    test have a tenth of that each. The articles are made up and the same ``seed`` always
    gives the same text.

    Used in notebooks/04_training_tokenizers.ipynb.
    """
    import datasets

    if isinstance(n_train_lines, bool) or not isinstance(n_train_lines, int) or n_train_lines < 0:
        raise ValueError(f"n_train_lines must be a non-negative int, got {n_train_lines!r}")
    rng = random.Random(f"standin-corpus-{seed}")
    world = _World(rng)
    n_eval = n_train_lines // 10
    features = corpus_features()
    splits = {}
    for split, n in (("train", n_train_lines), ("validation", n_eval), ("test", n_eval)):
        splits[split] = datasets.Dataset.from_dict(
            {"text": _lines(rng, world, n)}, features=features
        )
    return datasets.DatasetDict(splits)
