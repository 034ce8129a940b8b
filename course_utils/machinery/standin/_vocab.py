"""Word lists for the stand-in corpus (:mod:`course_utils.machinery.standin.corpus`).

Every list here was written for this package. They are stored as whitespace-separated
strings to keep the file compact; :func:`words` splits them. Proper nouns (places, people,
countries, species) are not listed: the corpus builds them from the syllables below, so
that each seed has its own world of rare names.
"""

from __future__ import annotations


def words(text: str) -> tuple[str, ...]:
    """Split a whitespace-separated word list (underscores become spaces)."""
    return tuple(w.replace("_", " ") for w in text.split())


ADJECTIVES = words("""
ancient modern large small major minor local regional national international northern southern
eastern western central coastal rural urban industrial agricultural royal imperial colonial
medieval early late former original principal notable prominent significant important famous
popular successful unsuccessful brief long short wide narrow deep shallow high low steep gentle
dense sparse fertile barren wooded rocky sandy marshy mountainous hilly flat fortified ruined
restored abandoned derelict elaborate simple ornate plain decorative rectangular circular
octagonal square tall massive heavy light fragile sturdy wooden stone brick timber iron bronze
golden silver marble granite limestone sandstone painted carved glazed vaulted domed arched
gothic baroque classical romanesque neoclassical victorian georgian contemporary experimental
traditional conservative liberal radical moderate democratic republican military naval civil
political religious secular academic scientific literary musical theatrical commercial
financial economic cultural social domestic foreign public private independent dependent
official unofficial annual seasonal monthly weekly daily occasional frequent rare common
unusual typical distinctive characteristic remarkable extraordinary modest humble wealthy poor
prosperous struggling growing declining stable rapid slow gradual sudden severe mild harsh
bitter fierce violent peaceful decisive indecisive costly bloody brutal heroic tragic comic
dramatic lyrical melancholic cheerful sombre vivid pale dark bright colourful green blue red
yellow white black grey brown purple crimson scarlet emerald azure amber ivory ebony olive
lengthy extensive comprehensive detailed thorough careful hasty premature delayed successive
consecutive initial final subsequent previous preceding following adjacent nearby distant
remote isolated accessible inaccessible navigable seasonal perennial migratory nocturnal
diurnal solitary social territorial aggressive docile endemic native introduced invasive
endangered threatened vulnerable extinct abundant widespread scattered fragmented unique
celebrated controversial influential acclaimed neglected forgotten obscure legendary
mythical historical prehistoric archaeological geological volcanic glacial tropical temperate
arid humid alpine subalpine lowland upland highland inland offshore maritime riverine
""")

NOUNS = words("""
town village city county district province region valley river stream lake harbour port
island peninsula coast bay cliff hill mountain ridge plateau forest woodland meadow marsh
swamp desert plain field farm estate manor castle fortress tower wall gate bridge road
railway station canal dam reservoir mill factory mine quarry foundry brewery market square
church chapel cathedral abbey monastery priory convent temple shrine mosque synagogue
school college university library museum gallery theatre hall palace house cottage barn
hospital prison barracks arsenal dockyard lighthouse windmill aqueduct tunnel viaduct
council parliament assembly committee court government ministry army navy regiment
battalion company brigade division fleet squadron garrison militia rebellion revolt uprising
revolution war battle siege campaign treaty alliance truce agreement charter constitution
law statute decree election referendum vote party movement society association guild union
club league team season match tournament championship trophy medal prize award title record
album song single track recording concert tour band orchestra choir opera ballet symphony
novel poem story play film series episode character plot scene chapter volume edition
newspaper magazine journal pamphlet manuscript letter diary chronicle map survey census
report study article review critic audience reader listener viewer fan supporter player
coach captain manager owner founder leader chief king queen prince princess duke duchess
earl count baron knight bishop priest monk nun abbot pope saint martyr hero villain
soldier officer general admiral commander sailor pilot merchant trader farmer fisherman
miner weaver potter blacksmith carpenter mason architect engineer painter sculptor poet
composer singer actor dancer writer historian scholar scientist physician surgeon lawyer
judge teacher student apprentice servant peasant labourer slave refugee settler colonist
explorer pilgrim traveller visitor tourist resident inhabitant citizen population family
dynasty clan tribe household generation descendant ancestor heir widow orphan child
species genus family order bird mammal reptile fish insect beetle butterfly moth spider
snail frog toad lizard snake turtle owl hawk eagle falcon heron swan goose duck sparrow
finch thrush wren crow raven gull deer wolf fox bear boar badger otter beaver hare rabbit
mouse rat bat seal whale dolphin shark salmon trout eel oak ash elm beech birch pine fir
cedar willow poplar maple yew holly ivy fern moss lichen grass reed sedge flower seed fruit
leaf branch root bark wing feather tail beak claw egg nest colony flock herd habitat
diet predator prey population range climate rainfall temperature winter summer spring autumn
storm flood drought fire earthquake eruption famine plague epidemic harvest crop wheat barley
oats rye maize rice grain wool cotton linen silk leather timber coal iron copper tin lead
silver gold salt stone clay brick glass pottery cloth tobacco sugar tea coffee wine beer
ship vessel boat frigate schooner barge ferry steamer liner cruiser destroyer submarine
hull deck mast sail anchor engine boiler gun cannon torpedo armour crew voyage cargo
building structure facade tower spire dome roof nave aisle transept crypt altar pulpit
window arch column pillar vault staircase courtyard garden park fountain statue monument
memorial tomb grave cemetery ruin foundation wing extension restoration renovation design
plan style period era century decade year month week day morning evening night
history origin tradition custom festival ceremony ritual legend myth language dialect
script alphabet word name term phrase inscription coin seal banner flag emblem motto
trade industry commerce economy tax revenue debt loan bank company firm enterprise
production output export import supply demand price wage income profit loss growth
decline reform policy dispute conflict crisis scandal trial verdict sentence appeal
pardon exile return journey expedition discovery invention experiment theory method
system network route line branch service terminus junction platform depot carriage
locomotive tram bus lorry car bicycle airport runway aircraft airship balloon
""")

IRREGULAR_PLURALS = {
    "child": "children",
    "mouse": "mice",
    "goose": "geese",
    "man": "men",
    "woman": "women",
    "foot": "feet",
    "tooth": "teeth",
    "sheep": "sheep",
    "deer": "deer",
    "fish": "fish",
    "species": "species",
    "series": "series",
    "wolf": "wolves",
    "leaf": "leaves",
    "knife": "knives",
    "half": "halves",
    "shelf": "shelves",
    "thief": "thieves",
    "genus": "genera",
    "crisis": "crises",
    "thesis": "theses",
    "analysis": "analyses",
}

VERBS_PAST = words("""
built designed restored destroyed replaced expanded abandoned acquired announced published
recorded criticised praised founded established renamed damaged rebuilt demolished
discovered described captured defended funded launched completed opened closed converted
extended financed supported opposed adopted introduced promoted reviewed revised translated
painted carved excavated surveyed mapped documented preserved listed protected sold
purchased leased inherited granted awarded nominated elected appointed dismissed exiled
imprisoned released pardoned honoured commemorated celebrated performed broadcast filmed
produced directed composed arranged edited printed distributed exported imported
manufactured engineered tested modified refitted decommissioned scrapped wrecked salvaged
evacuated occupied besieged reinforced fortified garrisoned negotiated signed ratified
annexed divided merged incorporated dissolved reorganised relocated settled cultivated
irrigated drained flooded cleared planted harvested mined quarried forged woven dyed
studied examined analysed measured recorded catalogued classified identified named
photographed illustrated sketched drafted proposed approved rejected postponed cancelled
delayed resumed abolished restored reformed modernised enlarged reduced shortened lengthened
widened deepened raised lowered moved transferred shipped carried delivered received
welcomed visited toured inspected surveyed crossed explored charted invaded conquered
plundered burned sacked ravaged defeated routed repulsed ambushed surrounded relieved
liberated betrayed executed crowned married divorced adopted educated trained employed
hired commissioned sponsored endorsed challenged disputed contested overturned upheld
""")

ADVERBS = words("""
later subsequently eventually gradually rapidly slowly briefly largely mostly partly
entirely completely initially originally formerly previously recently currently widely
frequently occasionally rarely regularly primarily mainly chiefly especially particularly
notably significantly considerably heavily lightly carefully hastily quietly openly publicly
privately officially reportedly allegedly apparently reluctantly successfully narrowly
""")

OCCUPATIONS = words("""
architect engineer painter sculptor poet composer novelist playwright historian
philosopher mathematician astronomer physicist chemist botanist zoologist geologist
physician surgeon lawyer judge diplomat politician statesman merchant banker industrialist
inventor explorer cartographer missionary bishop theologian journalist editor publisher
photographer actor actress singer violinist pianist organist conductor dancer
choreographer footballer cricketer athlete boxer wrestler jockey cyclist rower sailor
soldier officer admiral general aviator printer bookseller schoolteacher headmaster
librarian archivist curator critic essayist translator lexicographer economist
""")

INSTITUTIONS = words("""
University College Academy Institute Museum Library Gallery Hospital Society Observatory
Conservatory Seminary Orchestra Theatre Company Railway Bank Council Trust Foundation
""")

MONTHS = words(
    "January February March April May June July August September October November December"
)

ORDINALS = words(
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth"
)

NUMBER_WORDS = words(
    "two three four five six seven eight nine ten eleven twelve fifteen twenty thirty forty fifty"
)

DIRECTIONS = words("north south east west northeast northwest southeast southwest")

GIVEN_NAMES = words("""
Albert Alfred Alice Amelia Andrew Anne Arthur Beatrice Benjamin Bertha Caroline Catherine
Cecil Charles Charlotte Clara Daniel Dorothy Edgar Edith Edmund Edward Eleanor Elizabeth
Emily Ernest Esther Eveline Florence Francis Frederick George Georgina Gertrude Gilbert
Grace Harold Harriet Henry Herbert Hugh Isabel Jacob James Jane John Joseph Julia Laura
Leonard Louisa Lucy Margaret Martha Mary Matilda Matthew Maud Michael Nathaniel Oliver
Patrick Philip Rachel Ralph Richard Robert Rose Samuel Sarah Sophia Stephen Susan Thomas
Victoria Walter William Agnes Ada Bruno Carl Dmitri Elena Felix Greta Hans Ilse Ivan Johan
Karl Lena Lars Marta Nils Olga Oskar Pavel Rosa Sven Tomas Vera Viktor Yusuf Amir Leila
Omar Samir Nadia Kenji Hiro Mei Lin Chen Arjun Priya Ravi Sunita Kwame Amara Kofi Ayesha
Diego Lucia Mateo Sofia Pablo Carmen Luis Ines Teodor Ana Milan Zora
""")
FEMALE_NAMES = frozenset(
    words("""
Alice Amelia Anne Beatrice Bertha Caroline Catherine Charlotte Clara Dorothy Edith Eleanor
Elizabeth Emily Esther Eveline Florence Georgina Gertrude Grace Harriet Isabel Jane Julia
Laura Louisa Lucy Margaret Martha Mary Matilda Maud Rachel Rose Sarah Sophia Susan Victoria
Agnes Ada Elena Greta Ilse Lena Marta Olga Rosa Vera Leila Nadia Mei Lin Priya Sunita Amara
Ayesha Lucia Sofia Carmen Ines Ana Zora
""")
)

# Syllables for proper nouns.
ONSETS = words("b br c ch cl d dr f fl g gr h k l m n p pr r s st sh t th tr v w z bl gl kr sk sl")
VOWELS = words("a e i o u a e o ai ea ou ie")
CODAS = words("n r l s m th nd rn st ck ld rd nt ss x")
PLACE_SUFFIXES = words(
    """
    ford by ton ham wick mouth stead ville burg field bury dale holm well stow minster bridge
    port haven mere worth
    """
)
SURNAME_SUFFIXES = words("son er ley ton man ell ard ick ing ov ini ez berg strom sen ski")
LATIN_ENDINGS = words("us a um is ensis ii ae oides ata ella")

# Section headings of each kind of article ("Early_life" is "Early life").
SECTIONS: dict[str, tuple[str, ...]] = {
    "settlement": words(
        """
        History Geography Climate Demographics Economy Transport Education Culture
        Notable_people Sport Governance Landmarks
        """
    ),
    "person": words(
        """
        Early_life Education Career Later_life Personal_life Legacy Honours Selected_works
        Political_career Death
        """
    ),
    "battle": words(
        "Background Prelude Opposing_forces Battle Aftermath Casualties Legacy Order_of_battle"
    ),
    "species": words(
        """
        Taxonomy Description Distribution_and_habitat Behaviour Diet Breeding Conservation
        Etymology
        """
    ),
    "album": words(
        """
        Background Recording Composition Release Critical_reception Track_listing Personnel
        Charts Legacy
        """
    ),
    "ship": words(
        "Design_and_description Construction Service_history Armament Fate Career Wartime_service"
    ),
    "building": words(
        "History Architecture Interior Restoration Grounds Exterior Later_use Heritage_status"
    ),
    "river": words(
        "Course Geology Hydrology Ecology History Recreation Tributaries Pollution Crossings"
    ),
    "season": words(
        "Background Pre_@-@_season League Cup_competitions Players Transfers Statistics Results"
    ),
}
SUBSECTIONS = words(
    "Origins Early_years Expansion Decline Modern_era Reception Impact Controversy Analysis Notes"
)


def lines(text: str) -> tuple[str, ...]:
    """Split a list written one item per line; blank lines are skipped.

    A line indented deeper than the first one continues the item above it (joined with a
    space), so that long items can be wrapped.
    """
    items: list[str] = []
    base: int | None = None
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        indent = len(line) - len(line.lstrip())
        if base is None:
            base = indent
        if indent > base and items:
            items[-1] += " " + stripped
        else:
            items.append(stripped)
    return tuple(items)
