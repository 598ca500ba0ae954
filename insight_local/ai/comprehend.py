"""Offline Amazon Comprehend: language, sentiment, key phrases, entities and PII of real text.

The local mode has no network, so the Comprehend API is answered by this pure-Python engine.
Every answer is computed from the input text; requests are the API's input shapes (PascalCase
keys) and answers are dicts in botocore's *output* shapes, ready for the moto backend to send.

=========================  ==================================================================
operation                  how
=========================  ==================================================================
DetectDominantLanguage     ``langdetect`` (Google's n-gram language profiles, 55 languages),
                           with a fixed seed so the same text always gets the same answer
DetectSentiment            VADER (``vaderSentiment``'s lexicon and rules), adapted to
                           business text: customer-service and finance words it lacks,
                           business nouns it scores neutral ("customer support", "both
                           parties"), complaint and praise phrases ("still hasn't
                           arrived", "ahead of schedule"); sentence by sentence, scores a
                           softmax over the four classes, MIXED when the text holds
                           clearly positive and clearly negative parts. 94.9% on the 195
                           labelled sentences of bench/data/sentiment_labelled.tsv
DetectKeyPhrases           noun-phrase chunks: determiner + modifiers + head, cut at stop
                           words, verbs, adverbs and punctuation; entities are kept whole
DetectEntities             rules and gazetteers: DATE (ISO, numeric, month names, weekdays,
                           relative, quarters, times), QUANTITY (money, percentages, counts
                           and measures), ORGANIZATION (legal suffixes, "University of ..."
                           and known names), PERSON (titles, given names, surnames, cues
                           like "Dear"), LOCATION (countries, states, cities, street
                           addresses), COMMERCIAL_ITEM, EVENT, TITLE, OTHER (e-mail, URL,
                           phone)
DetectPiiEntities          validated patterns (Luhn for cards, ABA for routing numbers,
ContainsPiiEntities        mod-97 for IBANs, SSN area rules, ``ipaddress`` for IPs,
                           ``phonenumbers`` for phones), context cues for account numbers,
                           PINs and passwords, and the entity rules for NAME, ADDRESS,
                           DATE_TIME (absolute dates and times only, not "today")
Batch*                     the single-document engine per document; a document that the
                           engine fails on goes to ``ErrorList`` (INTERNAL_SERVER_ERROR),
                           the others are answered
=========================  ==================================================================

``BeginOffset``/``EndOffset`` are offsets in characters (code points) of the input text, as
Comprehend's are, so ``text[BeginOffset:EndOffset] == Text`` for every entity and phrase.

Errors (``ComprehendError.code`` is the AWS error code):

* ``TextSizeLimitExceededException``: the text is over the operation's UTF-8 byte limit
  (100,000 bytes; 5,000 for DetectSentiment and for each document of a Batch* request).
* ``BatchSizeLimitExceededException``: a Batch* request with more than 25 documents.
* ``UnsupportedLanguageException``: a language the offline engine has no model for
  (sentiment, key phrases and entities: ``en``; PII: ``en`` and ``es``).
* ``ValidationException``: a request that does not fit the input shape (missing or mistyped
  member, language code outside the API's enum, empty text list).
* ``InvalidRequestException``: a request the offline engine cannot serve (both ``Text`` and
  ``Bytes``, binary ``Bytes``).
* ``ResourceUnavailableException``: DetectEntities with a custom recogniser endpoint.

Known limits: the rules are English (PII in ``es`` adds Spanish titles, phones and street
addresses); language detection reads the first 10,000 characters;
PERSON and LOCATION rely on capitalisation, lists and cues, so a lowercase or unlisted name
with no cue is missed; TITLE is only found for quoted titles after a cue ("the book ...").
"""

from __future__ import annotations

import base64
import binascii
import bisect
import ipaddress
import math
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

__all__ = [
    "BATCH_DOCUMENT_LIMIT",
    "BATCH_SIZE_LIMIT",
    "OPERATIONS",
    "TEXT_LIMITS",
    "ComprehendError",
    "batch_detect_dominant_language",
    "batch_detect_entities",
    "batch_detect_key_phrases",
    "batch_detect_sentiment",
    "contains_pii_entities",
    "detect_dominant_language",
    "detect_entities",
    "detect_key_phrases",
    "detect_pii_entities",
    "detect_sentiment",
]


class ComprehendError(Exception):
    """An error answered as AWS answers it: ``code`` is the AWS error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


#: UTF-8 byte limits of the synchronous single-document operations.
TEXT_LIMITS: dict[str, int] = {
    "DetectDominantLanguage": 100_000,
    "DetectEntities": 100_000,
    "DetectKeyPhrases": 100_000,
    "DetectPiiEntities": 100_000,
    "ContainsPiiEntities": 100_000,
    "DetectSentiment": 5_000,
}
#: UTF-8 byte limit of each document of a Batch* request, and documents per request.
BATCH_DOCUMENT_LIMIT = 5_000
BATCH_SIZE_LIMIT = 25

#: The API's LanguageCode enum.
LANGUAGE_CODES = ("en", "es", "fr", "de", "it", "pt", "ar", "hi", "ja", "ko", "zh", "zh-TW")
TEXT_LANGUAGES = frozenset({"en"})
PII_LANGUAGES = frozenset({"en", "es"})

Json = dict[str, Any]


# --- request checks -------------------------------------------------------------------


def _validation(message: str) -> ComprehendError:
    return ComprehendError("ValidationException", f"1 validation error detected: {message}")


def _size_check(text: str, limit: int) -> None:
    size = len(text.encode("utf-8"))
    if size > limit:
        raise ComprehendError(
            "TextSizeLimitExceededException",
            f"Input text size exceeds limit. Max length of request text allowed is {limit} bytes "
            f"while in this request the text size is {size} bytes",
        )


def _text(request: Json, operation: str) -> str:
    text = request.get("Text")
    if text is None:
        raise _validation("Value null at 'text' failed to satisfy constraint: Member must not be null")
    if not isinstance(text, str):
        raise _validation("Value at 'text' failed to satisfy constraint: Member must be a string")
    if not text:
        raise _validation(
            "Value at 'text' failed to satisfy constraint: Member must have length greater than or equal to 1"
        )
    _size_check(text, TEXT_LIMITS[operation])
    return text


def _text_list(request: Json) -> list[str]:
    texts = request.get("TextList")
    if texts is None:
        raise _validation("Value null at 'textList' failed to satisfy constraint: Member must not be null")
    if not isinstance(texts, list) or not all(isinstance(text, str) for text in texts):
        raise _validation("Value at 'textList' failed to satisfy constraint: Member must be a list of strings")
    if not texts:
        raise _validation(
            "Value '[]' at 'textList' failed to satisfy constraint: Member must have length greater than or equal to 1"
        )
    if len(texts) > BATCH_SIZE_LIMIT:
        raise ComprehendError(
            "BatchSizeLimitExceededException",
            f"The number of documents in the request exceeds the limit of {BATCH_SIZE_LIMIT}: "
            f"the request has {len(texts)}. Try your request again with fewer documents.",
        )
    for text in texts:
        if not text:
            raise _validation(
                "Value at 'textList' failed to satisfy constraint: Member must have length greater than or equal to 1"
            )
        _size_check(text, BATCH_DOCUMENT_LIMIT)
    return texts


def _language(request: Json, supported: frozenset[str], what: str) -> str:
    code = request.get("LanguageCode")
    if code is None:
        raise _validation("Value null at 'languageCode' failed to satisfy constraint: Member must not be null")
    if code not in LANGUAGE_CODES:
        raise _validation(
            f"Value '{code}' at 'languageCode' failed to satisfy constraint: Member must satisfy enum value set: "
            f"[{', '.join(LANGUAGE_CODES)}]"
        )
    if code not in supported:
        raise ComprehendError(
            "UnsupportedLanguageException",
            f"The offline Comprehend engine of the local mode has no {what} model for language '{code}' "
            f"(it has: {', '.join(sorted(supported))}).",
        )
    return str(code)


# --- tokens ---------------------------------------------------------------------------

_TOKEN = re.compile(r"\w+(?:['’-]\w+)*|[^\w\s]")


@dataclass(frozen=True)
class _Token:
    text: str
    begin: int
    end: int
    sentence_start: bool

    @property
    def lower(self) -> str:
        return self.text.lower()

    @property
    def capitalised(self) -> bool:
        return self.text[:1].isupper()

    @property
    def is_word(self) -> bool:
        return self.text[:1].isalpha()


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    start = True
    for match in _TOKEN.finditer(text):
        word = match.group()
        between = text[tokens[-1].end : match.start()] if tokens else ""
        if "\n" in between:
            start = True
        tokens.append(_Token(word, match.start(), match.end(), start))
        start = word in {".", "!", "?", ":", ";", "•", "*", "(", '"', "“"}
    return tokens


@dataclass(frozen=True)
class _Span:
    begin: int
    end: int
    type: str
    score: float


def _resolve(spans: Iterable[_Span], priority: dict[str, int], tiers: dict[str, int] | None = None) -> list[_Span]:
    """Non-overlapping spans: by tier, then longer first, then by priority, then earlier."""
    chosen: list[_Span] = []
    taken: list[tuple[int, int]] = []
    tiers = tiers or {}

    def key(span: _Span) -> tuple[int, int, int, int]:
        return (tiers.get(span.type, 0), -(span.end - span.begin), priority.get(span.type, 99), span.begin)

    for span in sorted(spans, key=key):
        if span.end <= span.begin:
            continue
        # taken is sorted and disjoint: only the neighbours can overlap.
        at = bisect.bisect_left(taken, (span.begin, span.end))
        if at > 0 and taken[at - 1][1] > span.begin:
            continue
        if at < len(taken) and taken[at][0] < span.end:
            continue
        taken.insert(at, (span.begin, span.end))
        chosen.append(span)
    return sorted(chosen, key=lambda s: (s.begin, s.end))


def _score(value: float) -> float:
    return round(min(max(value, 0.0), 1.0), 6)


# --- word lists -----------------------------------------------------------------------


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


DETERMINERS = _words(
    "the a an this that these those my your our their his her its some any each every no another "
    "all both several many few much more most such either neither"
)
PRONOUNS = _words(
    "i me you he him she we us they them it itself myself yourself ourselves themselves himself herself "
    "mine yours ours theirs hers who whom whose which what whatever whoever someone somebody something "
    "anyone anybody anything everyone everybody everything nobody nothing none one ones"
)
PREPOSITIONS = _words(
    "of in on at by for with about against between into through during before after above below to from "
    "up down out off over under again further onto upon within without across along around among behind "
    "beside besides beyond despite except inside near outside per since toward towards until till via "
    "than like unlike as amid throughout"
)
CONJUNCTIONS = _words("and or but nor so yet because although though while whereas if unless whether once then")
AUXILIARIES = _words(
    "be is am are was were been being have has had having do does did doing will would shall should can "
    "could may might must ought 's 're 've 'd 'll n't not don't doesn't didn't isn't aren't wasn't weren't "
    "won't wouldn't can't cannot couldn't shouldn't haven't hasn't hadn't i'm you're we're they're it's "
    "i've we've you've they've i'll we'll you'll i'd we'd let's that's there's here's what's"
)
ADVERBS = _words(
    "very really quite too also just only even still already always never often sometimes usually again "
    "here there now then soon later today tomorrow yesterday tonight ago almost nearly rather somewhat "
    "perhaps maybe however therefore thus hence instead otherwise anyway else ever yet not no yes please "
    "kindly well much more most less least so how when where why whenever wherever all both once twice "
    "definitely absolutely totally completely extremely incredibly highly fully partly mostly mainly "
    "simply exactly immediately quickly promptly directly finally recently currently previously "
    "unfortunately fortunately hopefully approximately about around"
)
VERBS = _words(
    "be have do say get make go know take see come think look want give use find tell ask work seem feel "
    "try leave call keep let begin help talk turn start show hear play run move like live believe hold "
    "bring happen write provide sit stand lose pay meet include continue set learn change lead understand "
    "watch follow stop create speak read allow add spend grow open walk win offer remember love consider "
    "appear buy wait serve die send expect build stay fall cut reach kill remain suggest raise pass sell "
    "require report decide pull return explain hope develop carry break receive agree support hit produce "
    "eat cover catch draw choose cause point listen realise realize place close involve increase reduce "
    "apply enjoy prefer replace confirm cancel deliver ship order update contact email process review "
    "request need plan delay charge refund fix resolve handle check arrive arrives respond reply answer "
    "submit attach sign schedule book issue approve reject ensure manage share upload download install "
    "remove assist resend improve regret appreciate thank thanks recommend purchase complete finish prepare "
    "contain consist measure weigh lasts last cost costs crash crashes crashed fail fails happen notice "
    "mention note inform advise apologise apologize promise announce hire fire launch release publish "
    "store save backup renew cost forward transfer invoice track tracked migrate migrated deploy test "
    "decide discuss accept ignore ignored bother bothered abandon abandoned throw threw lock locked misled "
    "stopped jams tore dies left lost got went came took gave made said told saw found thought knew "
    "felt kept began brought bought sent spent held stood met paid sold built understood wrote written "
    "spoken chosen broken given taken seen known done gone been become became ran run cut put set shut "
    "hit hurt let cost read led fed fell won wore worn drove driven rode ate eaten drank flew flown grew "
    "grown hung sat slept spoke stole swam taught tore torn woke woken wound closes opens works seems "
    "looks moved"
)
COMMON_NOUN_VERBS = _words(
    "order update call report request review change use need plan process cost pay delay charge refund "
    "fix issue email contact ship book schedule test release return transfer invoice support purchase "
    "increase help work start check answer reply record share search sign store launch backup measure "
    "design build note offer deal demand access display export import list log notice place print "
    "rate rent sale show stock supply survey switch total trade transfer travel visit wait"
)
ADJECTIVES = _words(
    "good great excellent bad poor terrible awful happy unhappy sad new old big small large little long "
    "short high low early late first last next previous final main major minor full empty free busy easy "
    "hard difficult simple clear quick fast slow cheap expensive important available possible impossible "
    "able unable sure ready open closed right wrong correct incorrect true false real same different "
    "other own whole entire public private local national international global general specific special "
    "common current recent future past present certain various several due additional extra separate "
    "monthly weekly daily yearly annual quarterly standard basic total initial formal useful useless "
    "helpful friendly rude polite kind nice lovely wonderful fantastic amazing brilliant outstanding "
    "superb perfect delicious dirty clean safe secure stable reliable broken damaged defective missing "
    "wrong late frustrating frustrated disappointed disappointing satisfied pleased delighted thrilled "
    "impressed angry upset confusing confused unfair fair unacceptable acceptable informative engaging "
    "intuitive solid productive rewarding comfortable uncomfortable unbearable cold hot warm spotless "
    "welcoming knowledgeable practical noticeable significant sharp best worst better worse favorite "
    "favourite incredible smooth seamless responsive unresponsive ridiculous expensive affordable valid "
    "noisy messy tidy busy angry ugly pricey shiny heavy tiny sturdy flimsy handy lucky crazy lazy risky "
    "healthy worthy trendy fancy silly dusty smelly sticky rusty leaky shaky "
    "invalid active inactive pending overdue outstanding urgent critical necessary unfinished corrupted "
    "automatic manual online offline digital physical annual legal illegal financial technical human "
    "black white grey gray red green blue yellow"
)
_ABLE_NOUNS = _words(
    "table cable vegetable variable receivable payable deliverable deliverables bible timetable notable"
)
_ING_NOUNS = _words(
    "meeting building training booking billing shipping marketing pricing funding housing setting settings "
    "warning morning evening offering opening closing hearing ceiling earning earnings saving savings "
    "painting clothing feeling thing things nothing something anything everything spring string king "
    "ring wedding parking accounting banking hosting packaging planning processing recording reporting "
    "understanding engineering manufacturing onboarding consulting staffing catering lighting heating "
    "cooling plumbing wiring listing listings posting postings pudding"
)
_ED_NOUNS = _words("hundred kindred need needs speed seed feed bed red shed weed deed steed")
STOPWORDS = DETERMINERS | PRONOUNS | PREPOSITIONS | CONJUNCTIONS | AUXILIARIES | ADVERBS

MONTHS = _words("January February March April May June July August September October November December")
WEEKDAYS = _words("Monday Tuesday Wednesday Thursday Friday Saturday Sunday")

TITLES = _words(
    "Mr Mrs Ms Miss Mx Dr Prof Professor Sir Dame Lord Lady Rev Reverend Capt Captain Sgt Judge "
    "Sr Sra Srta Don Doña Herr Frau Mme Mlle Dra"
)
# Given names (English-speaking countries' frequent ones and frequent names from elsewhere).
GIVEN_NAMES = _words(
    "James John Robert Michael William David Richard Joseph Thomas Charles Christopher Daniel Matthew "
    "Anthony Donald Steven Paul Andrew Joshua Kenneth Kevin Brian George Timothy Ronald Edward Jason "
    "Jeffrey Ryan Jacob Gary Nicholas Eric Jonathan Stephen Larry Justin Scott Brandon Benjamin Samuel "
    "Gregory Alexander Patrick Raymond Dennis Jerry Tyler Aaron Jose Adam Nathan Henry Douglas Zachary "
    "Peter Kyle Ethan Walter Noah Jeremy Christian Keith Roger Terry Gerald Harold Sean Austin Carl "
    "Arthur Lawrence Dylan Jesse Bryan Joe Jordan Billy Bruce Albert Willie Gabriel Logan Alan Juan Wayne "
    "Roy Ralph Randy Eugene Vincent Russell Elijah Louis Bobby Philip Johnny Liam Oliver Lucas Mason "
    "Owen Luke Isaac Leo Caleb Hunter Connor Ian Evan Eli Max Oscar Harry Jack Charlie Freddie Alfie "
    "Archie Theo Toby Tom Ben Sam Dan Tim Mike Steve Dave Chris Nick Rob Jim Ted Fred Tony Greg Alex Ed "
    "Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Lisa Nancy Betty Margaret "
    "Sandra Ashley Kimberly Emily Donna Michelle Carol Amanda Dorothy Melissa Deborah Stephanie Rebecca "
    "Sharon Laura Cynthia Kathleen Amy Angela Shirley Anna Brenda Pamela Emma Nicole Helen Samantha "
    "Katherine Christine Debra Rachel Carolyn Janet Catherine Maria Heather Diane Ruth Julie Olivia "
    "Joyce Virginia Victoria Kelly Lauren Christina Joan Evelyn Judith Megan Andrea Cheryl Hannah "
    "Jacqueline Martha Gloria Teresa Ann Sara Madison Frances Kathryn Janice Jean Abigail Alice Judy "
    "Sophia Julia Denise Amber Doris Marilyn Danielle Beverly Isabella Theresa Diana Natalie Brittany "
    "Charlotte Marie Kayla Alexis Lori Ava Mia Amelia Harper Ella Chloe Zoe Lucy Sophie Isla Poppy "
    "Ruby Freya Jessica Holly Ellie Katie Kate Jane Claire Fiona Rose Grace Lily Jenny Beth Sue Liz "
    "Carlos Luis Miguel Jorge Pedro Javier Alejandro Fernando Ricardo Diego Manuel Pablo Sergio Andres "
    "Rafael Antonio Francisco Mateo Santiago Sofia Lucia Carmen Ana Isabel Elena Paula Laura Marta "
    "Raquel Pilar Rosa Beatriz Camila Valentina Gabriela Daniela Mariana Ximena Alejandra Fernanda "
    "Mohammed Muhammad Ahmed Ali Omar Hassan Hussein Yusuf Ibrahim Fatima Aisha Zainab Leila Layla "
    "Priya Raj Rahul Amit Anil Sanjay Vijay Arjun Rohan Ananya Deepa Pooja Neha Sunita Kavya Aditya "
    "Wei Li Ming Jing Yan Hui Lei Jun Hiroshi Takeshi Kenji Yuki Haruto Sakura Yuna Min Jae Ji "
    "Hans Klaus Jurgen Stefan Wolfgang Matthias Andreas Lukas Felix Jonas Anna Lena Katharina Julia "
    "Pierre Jean Louis Marc Francois Nicolas Julien Antoine Camille Chloe Manon Ines Lea Giulia "
    "Giuseppe Marco Luca Matteo Alessandro Francesca Chiara Sofia Giovanni Lorenzo Piotr Tomasz Anna "
    "Katarzyna Agnieszka Olga Ivan Dmitri Sergei Natalia Tatiana Svetlana Lars Sven Erik Ingrid Astrid "
    "Sean Siobhan Niamh Aoife Ciaran Declan Kwame Kofi Amara Chidi Ngozi Thabo Zanele"
)
# Given names that are also common words, months or places: a name only with a surname or a cue.
AMBIGUOUS_GIVEN = _words(
    "May June April August Will Bill Mark Grace Hope Joy Faith Rose Lily Ruby Holly Poppy Summer Autumn "
    "Dawn Jordan Georgia Virginia Carolina Austin Dallas Houston Victoria Chase Hunter Guy Pat Sue Rich "
    "Frank Art Ray Jack Max Sky Paris Florence Eugene Chelsea Madison Harper Ali Li Min Jun Ji Lei Yan "
    "Jean Ann Marie Ed Ted Rob Dan Ben Tom Tim Sam Nick Amber Carmen Rosa Isabel Mia Luke Christian "
    "Wayne Lucas Sean Ian Eli Leo Owen Joe Al Ming Hui Wei Jing Lena Ines Lea Don"
)
SURNAMES = _words(
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez "
    "Gonzales Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez "
    "Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green "
    "Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez Phillips Evans Turner Diaz "
    "Parker Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook Rogers Gutierrez Ortiz Morgan "
    "Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson Watson Brooks Chavez Wood "
    "James Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo Sanders Patel Myers Long Ross Foster "
    "Jimenez Powell Jenkins Perry Russell Sullivan Bell Coleman Butler Henderson Barnes Fisher Vasquez "
    "Simmons Romero Jordan Patterson Alexander Hamilton Graham Reynolds Griffin Wallace Moreno West Cole "
    "Hayes Bryant Herrera Gibson Ellis Tran Medina Aguilar Stevens Murray Ford Castro Marshall Owens "
    "Harrison Fernandez McDonald Woods Washington Kennedy Wells Vargas Henry Chen Freeman Webb Tucker "
    "Guzman Burns Crawford Olson Simpson Porter Hunter Gordon Mendez Silva Shaw Snyder Mason Dixon Munoz "
    "Hunt Hicks Holmes Palmer Wagner Black Robertson Boyd Rose Stone Salazar Fox Warren Mills Meyer Rice "
    "Schmidt Garza Daniels Ferguson Nichols Stephens Soto Weaver Ryan Gardner Payne Grant Dunn Kelley "
    "Spencer Hawkins Arnold Pierce Vazquez Hansen Peters Santos Hart Bradley Knight Elliott Cunningham "
    "Duncan Armstrong Hudson Carroll Lane Riley Andrews Alvarado Ray Delgado Berry Perkins Hoffman "
    "Johnston Matthews Pena Richards Contreras Willis Carpenter Lawrence Sandoval Wang Li Zhang Liu Yang "
    "Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo Lin Tanaka Suzuki Takahashi Watanabe Yamamoto Nakamura "
    "Sato Ito Park Choi Kang Jung Singh Kumar Sharma Gupta Shah Mehta Reddy Rao Iyer Nair Das Khan "
    "Ahmed Hussain Ali Hassan Ibrahim Mohamed Muller Mueller Schneider Fischer Weber Becker Schulz "
    "Koch Richter Klein Wolf Neumann Schwarz Dubois Durand Lefebvre Moreau Laurent Simon Michel Bernard "
    "Petit Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci Marino Greco Bruno Gallo Conti "
    "Nowak Kowalski Wisniewski Kowalczyk Novak Ivanov Petrov Smirnov Popov Jensen Nielsen Hansen "
    "Andersen Larsen Johansson Karlsson Nilsson Eriksson Larsson Olsen Murphy Kelly Byrne Walsh "
    "O'Brien O'Connor O'Neill O'Sullivan Doyle McCarthy Gallagher Doherty Kennedy Lynch Quinn Okafor "
    "Mensah Okonkwo Adeyemi Nkosi Mokoena Dlamini Raman Krishnan Banerjee Chatterjee Mukherjee Joshi"
)
PERSON_CUES = _words(
    "dear hi hello hey attn attention cc name named signed regards sincerely spoke contact contacted "
    "ask asked thanks thank customer client manager agent representative technician engineer director "
    "ceo cfo cto founder colleague by from with per call called email emailed met meet mr ms to "
    "holder owner applicant tenant recipient sender beneficiary patient employee cardholder signatory "
    "author buyer seller borrower guarantor landlord witness assignee reviewer approver requester"
)
#: Verbs that follow a person's name as its subject.
_PERSON_VERBS = _words(
    "will would has had is was said says wrote writes called calls approved approves confirmed confirms "
    "signed signs asked asks sent sends joined joins left leads led presented presents reported reports "
    "requested requests agreed agrees replied replies emailed noted mentioned explained told can could "
    "should must may might"
)
#: Endings of surnames in many languages (Ivanova, Lindqvist, Kowalski, Wójcik, Petrović, ...).
_SURNAME_ENDINGS = (
    "ova",
    "ov",
    "ev",
    "eva",
    "sky",
    "ski",
    "ska",
    "cki",
    "czyk",
    "wicz",
    "ik",
    "ak",
    "ek",
    "ić",
    "ic",
    "vic",
    "enko",
    "uk",
    "chuk",
    "escu",
    "opoulos",
    "akis",
    "ides",
    "oglu",
    "ian",
    "yan",
    "dze",
    "shvili",
    "son",
    "sen",
    "sson",
    "qvist",
    "kvist",
    "ström",
    "berg",
    "stein",
    "mann",
    "ini",
    "elli",
    "etti",
    "ez",
    "es",
    "az",
    "os",
    "eiro",
    "inho",
    "ardt",
    "ault",
    "eau",
    "ieu",
    "ier",
    "ová",
    "ský",
)


def _surname_like(word: str) -> bool:
    return word in SURNAMES or (len(word) >= 5 and word.lower().endswith(_SURNAME_ENDINGS))


ORG_SUFFIXES = _words(
    "Inc Incorporated Ltd Limited LLC LLP LP GmbH AG KG SE Corp Corporation Co Company PLC plc SA SAS "
    "SARL SpA BV NV Pty Oy AB ASA Group Holdings Bank Technologies Systems Solutions Labs Laboratories "
    "Industries Enterprises Partners Consulting Logistics Airlines Airways Motors Pharmaceuticals "
    "Foundation Institute Association Agency Ventures Cooperative Hospital Clinic Studios Bancorp"
)
_ORG_ABBREVIATIONS = _words("Inc Ltd Corp Co Bros")
_ORG_OF_HEADS = _words(
    "University Bank Institute College Ministry Department Museum Academy School Federation Council "
    "Board Commission Office Bureau Society Association Church Hospital Court Chamber League Union"
)
KNOWN_ORGANIZATIONS = (
    "Amazon Web Services|Amazon|AWS|Google|Alphabet|Microsoft|Apple|IBM|Oracle|Meta|Facebook|Netflix|"
    "Tesla|Intel|Nvidia|NVIDIA|AMD|Qualcomm|Samsung|Sony|Siemens|SAP|Salesforce|Adobe|Cisco|Dell|HP|"
    "Lenovo|Uber|Lyft|Airbnb|Spotify|PayPal|Visa|Mastercard|American Express|FedEx|UPS|DHL|USPS|"
    "Walmart|Costco|IKEA|Boeing|Airbus|NASA|FBI|IRS|European Union|United Nations|World Health "
    "Organization|NATO|OpenAI|Shopify|Stripe|Zoom|Slack|GitHub|LinkedIn|Twitter|eBay|Alibaba|Tencent|"
    "Huawei|Toyota|Volkswagen|BMW|Mercedes-Benz|Ford|General Motors|Honda|Nissan|Coca-Cola|PepsiCo|"
    "Nestlé|Unilever|Procter & Gamble|Johnson & Johnson|Pfizer|Moderna|JPMorgan Chase|JPMorgan|"
    "Goldman Sachs|Morgan Stanley|Citibank|Citigroup|Wells Fargo|Bank of America|HSBC|Barclays|"
    "Deutsche Bank|BNP Paribas|Santander|Accenture|Deloitte|PwC|KPMG|EY|McKinsey|Starbucks|McDonald's|"
    "Nike|Adidas|Zara|H&M|Verizon|AT&T|T-Mobile|Vodafone|Comcast|Disney|Warner Bros|BBC|CNN|Reuters"
)
COUNTRIES = (
    "Afghanistan|Albania|Algeria|Argentina|Armenia|Australia|Austria|Azerbaijan|Bahrain|Bangladesh|"
    "Belarus|Belgium|Bolivia|Bosnia and Herzegovina|Brazil|Bulgaria|Cambodia|Cameroon|Canada|Chile|China|"
    "Colombia|Costa Rica|Croatia|Cuba|Cyprus|Czech Republic|Czechia|Denmark|Dominican Republic|Ecuador|"
    "Egypt|El Salvador|Estonia|Ethiopia|Finland|France|Germany|Ghana|Greece|Guatemala|Honduras|Hong Kong|"
    "Hungary|Iceland|India|Indonesia|Iran|Iraq|Ireland|Israel|Italy|Jamaica|Japan|Jordan|Kazakhstan|"
    "Kenya|Kuwait|Latvia|Lebanon|Lithuania|Luxembourg|Malaysia|Malta|Mexico|Moldova|Morocco|Nepal|"
    "Netherlands|the Netherlands|New Zealand|Nigeria|North Korea|Norway|Oman|Pakistan|Panama|Paraguay|"
    "Peru|Philippines|Poland|Portugal|Qatar|Romania|Russia|Saudi Arabia|Senegal|Serbia|Singapore|"
    "Slovakia|Slovenia|South Africa|South Korea|Korea|Spain|Sri Lanka|Sweden|Switzerland|Syria|Taiwan|"
    "Tanzania|Thailand|Tunisia|Turkey|Türkiye|Uganda|Ukraine|United Arab Emirates|UAE|United Kingdom|UK|"
    "United States of America|United States|USA|U\\.S\\.|US|Uruguay|Uzbekistan|Venezuela|Vietnam|"
    "Yemen|Zambia|Zimbabwe|England|Scotland|Wales|Northern Ireland|Great Britain|Britain"
)
REGIONS = (
    "Europe|Asia|Africa|North America|South America|Latin America|Central America|Middle East|"
    "Scandinavia|Oceania|Antarctica|the Caribbean|Caribbean|Southeast Asia|East Asia|the Balkans|"
    "Silicon Valley|the Midwest|Midwest|New England|Pacific Northwest|West Coast|East Coast|Bay Area|"
    "Alabama|Alaska|Arizona|Arkansas|California|Colorado|Connecticut|Delaware|Florida|Georgia|Hawaii|"
    "Idaho|Illinois|Indiana|Iowa|Kansas|Kentucky|Louisiana|Maine|Maryland|Massachusetts|Michigan|"
    "Minnesota|Mississippi|Missouri|Montana|Nebraska|Nevada|New Hampshire|New Jersey|New Mexico|"
    "New York State|North Carolina|North Dakota|Ohio|Oklahoma|Oregon|Pennsylvania|Rhode Island|"
    "South Carolina|South Dakota|Tennessee|Texas|Utah|Vermont|Virginia|West Virginia|Washington State|"
    "Wisconsin|Wyoming|Ontario|Quebec|British Columbia|Alberta|Bavaria|Catalonia|Andalusia|Tuscany|"
    "Lombardy|Normandy|Brittany|Provence|Queensland|New South Wales|Victoria|Patagonia|Siberia"
)
CITIES = (
    "New York City|New York|Los Angeles|Chicago|Houston|Phoenix|Philadelphia|San Antonio|San Diego|"
    "Dallas|San Jose|Austin|Jacksonville|San Francisco|Columbus|Fort Worth|Indianapolis|Charlotte|"
    "Seattle|Denver|Washington|Boston|El Paso|Nashville|Detroit|Oklahoma City|Portland|Las Vegas|"
    "Memphis|Louisville|Baltimore|Milwaukee|Albuquerque|Tucson|Fresno|Sacramento|Kansas City|Atlanta|"
    "Miami|Raleigh|Omaha|Minneapolis|Tulsa|Cleveland|Tampa|New Orleans|Honolulu|Pittsburgh|"
    "Cincinnati|St\\. Louis|Orlando|Salt Lake City|Anchorage|Springfield|Toronto|Montreal|Vancouver|"
    "Calgary|Ottawa|Mexico City|Guadalajara|Monterrey|Bogotá|Bogota|Lima|Santiago|Buenos Aires|"
    "São Paulo|Sao Paulo|Rio de Janeiro|Caracas|Quito|Havana|London|Manchester|Birmingham|Liverpool|"
    "Leeds|Glasgow|Edinburgh|Bristol|Cardiff|Belfast|Dublin|Cork|Paris|Lyon|Marseille|Toulouse|Nice|"
    "Bordeaux|Lille|Berlin|Hamburg|Munich|Cologne|Frankfurt|Stuttgart|Düsseldorf|Leipzig|Dresden|"
    "Vienna|Zurich|Zürich|Geneva|Basel|Bern|Brussels|Antwerp|Amsterdam|Rotterdam|The Hague|Utrecht|"
    "Luxembourg City|Madrid|Barcelona|Valencia|Seville|Sevilla|Bilbao|Malaga|Málaga|Lisbon|Porto|"
    "Rome|Milan|Naples|Turin|Florence|Venice|Bologna|Genoa|Athens|Istanbul|Ankara|Copenhagen|"
    "Stockholm|Gothenburg|Oslo|Bergen|Helsinki|Reykjavik|Warsaw|Krakow|Kraków|Prague|Budapest|"
    "Bucharest|Sofia|Belgrade|Zagreb|Ljubljana|Bratislava|Kyiv|Kiev|Moscow|Saint Petersburg|Riga|"
    "Tallinn|Vilnius|Minsk|Tbilisi|Yerevan|Baku|Cairo|Alexandria|Casablanca|Tunis|Lagos|Abuja|"
    "Nairobi|Addis Ababa|Accra|Johannesburg|Cape Town|Durban|Dakar|Kinshasa|Dubai|Abu Dhabi|Doha|"
    "Riyadh|Jeddah|Tel Aviv|Jerusalem|Beirut|Amman|Tehran|Baghdad|Karachi|Lahore|Islamabad|Delhi|"
    "New Delhi|Mumbai|Bangalore|Bengaluru|Chennai|Hyderabad|Kolkata|Pune|Ahmedabad|Dhaka|Colombo|"
    "Kathmandu|Beijing|Shanghai|Shenzhen|Guangzhou|Chengdu|Wuhan|Hangzhou|Tianjin|Xi'an|Taipei|"
    "Seoul|Busan|Tokyo|Osaka|Kyoto|Yokohama|Nagoya|Sapporo|Fukuoka|Bangkok|Hanoi|Ho Chi Minh City|"
    "Kuala Lumpur|Jakarta|Manila|Sydney|Melbourne|Brisbane|Perth|Adelaide|Auckland|Wellington"
)
US_STATE_CODES = (
    "AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|"
    "NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY"
)
COMMERCIAL_ITEMS = (
    "iPhone|iPad|iMac|MacBook Pro|MacBook Air|MacBook|Apple Watch|AirPods|Kindle|Echo Dot|Fire TV|Xbox|"
    "PlayStation|Nintendo Switch|ThinkPad|Office 365|Microsoft 365|Photoshop|PowerPoint|Chromebook|"
    "Prius|Corolla|Camry|Big Mac|Android|macOS|iOS"
)
#: Product names that are also common words: products only with a model ("Surface Pro 9").
COMMERCIAL_ITEMS_WITH_MODEL = "Galaxy|Pixel|Surface|Model|Mustang|Golf|Echo|Windows|Excel"
_ITEM_MODEL = r"(?:\s(?:\d{1,4}[A-Za-z]?|[A-Z]\d{1,3}|Pro|Max|Plus|Mini|Ultra|Air|SE|Lite|XL|Series\s\d+|Gen\s\d+))*"
EVENTS = (
    "Black Friday|Cyber Monday|Prime Day|Christmas Eve|Christmas|Thanksgiving|Easter|Halloween|"
    "New Year's Eve|New Year's Day|Independence Day|Labor Day|Memorial Day|Valentine's Day|Ramadan|"
    "Diwali|Hanukkah|World Cup|Super Bowl|Olympic Games|Olympics|re:Invent|CES|Mobile World Congress|"
    "Web Summit|Oktoberfest|Wimbledon|Tour de France|Brexit"
)
_EVENT_HEADS = (
    "Conference|Summit|Expo|Exhibition|Festival|Games|Championships?|Cup|Marathon|Fair|Forum|Gala|Awards|"
    "Symposium|Convention|Hackathon|Tournament"
)

_PRIORITY_ENTITIES = {
    "OTHER": 0,
    "ADDRESS": 1,
    "DATE": 2,
    "QUANTITY": 3,
    "ORGANIZATION": 4,
    "EVENT": 5,
    "COMMERCIAL_ITEM": 6,
    "TITLE": 7,
    "PERSON": 8,
    "LOCATION": 9,
}


def _alternation(names: str) -> str:
    parts = sorted(names.split("|"), key=len, reverse=True)
    return "|".join(part.replace(" ", r"\s+") for part in parts)


# --- dates ----------------------------------------------------------------------------

_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December|"
    r"(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)(?:\.(?=\s))?)"
)
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
_YEAR = r"(?:1[89]\d{2}|2[01]\d{2})"
_WEEKDAY = (
    r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|(?:Mon|Tue|Tues|Wed|Thu|Thur|Thurs|Fri|Sat|Sun)\.?)"
)
_FULL_WEEKDAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_ZONE = r"(?:\s?(?:UTC|GMT|EST|EDT|CST|CDT|MST|MDT|PST|PDT|CET|CEST|BST|IST|JST)\b)?"
_TIME = (
    r"(?:(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d)?(?:\s?(?:[AaPp]\.[Mm]\.|[AaPp][Mm]\b))?" + _ZONE + r"|"
    r"(?:1[0-2]|0?[1-9])\s?(?:[AaPp]\.[Mm]\.|[AaPp][Mm]\b)" + _ZONE + r"|noon|midnight)"
)
_DATE_PATTERNS: list[tuple[re.Pattern[str], float]] = [
    # 2026-03-14, 2026-03-14T09:30:00Z
    (
        re.compile(
            r"(?<![\w-])(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})"
            r"(?:[T ](?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?(?![\w-])"
        ),
        0.99,
    ),
    # 2026/03/14
    (re.compile(r"(?<![\w/])(?P<y>\d{4})/(?P<m>\d{1,2})/(?P<d>\d{1,2})(?![\w/])"), 0.97),
    # 14/03/2026, 03/14/2026, 14.03.2026, 14-03-26
    (
        re.compile(r"(?<![\w./-])(?P<a>\d{1,2})(?P<sep>[/.-])(?P<b>\d{1,2})(?P=sep)(?P<c>\d{4}|\d{2})(?![\w/-]|\.\d)"),
        0.95,
    ),
    # Monday, March 14, 2026 / March 14th / Mar. 14 2026
    (
        re.compile(rf"\b(?:{_WEEKDAY},?\s+)?(?:the\s+)?{_MONTH}\s+{_DAY}(?:(?:,\s*|\s+){_YEAR})?(?![\w:])"),
        0.98,
    ),
    # 14 March 2026 / the 14th of March / Monday 14 March
    (
        re.compile(rf"\b(?:{_WEEKDAY},?\s+)?(?:the\s+)?{_DAY}\s+(?:of\s+)?{_MONTH}(?:,?\s+{_YEAR})?\b"),
        0.98,
    ),
    # March 2026, March of 2026
    (re.compile(rf"\b{_MONTH}\s+(?:of\s+)?{_YEAR}\b"), 0.97),
    # end of April, mid-June, early March 2026
    (
        re.compile(
            rf"\b(?:(?:the\s+)?(?:end|beginning|start|middle)\s+of\s+|(?:early|mid|late)[- ]){_MONTH}(?:\s+{_YEAR})?\b",
            re.IGNORECASE,
        ),
        0.93,
    ),
    # in May, by October
    (
        re.compile(
            r"\b(?:in|on|by|until|till|since|from|during|before|after|through|of|for|last|next|this)\s+"
            r"(?P<only>January|February|March|April|May|June|July|August|September|October|November|December)\b"
        ),
        0.9,
    ),
    # next Monday, Friday morning
    (
        re.compile(
            rf"\b(?:(?:next|last|this|coming|previous|every)\s+)?{_FULL_WEEKDAY}s?"
            r"(?:\s+(?:morning|afternoon|evening|night))?\b"
        ),
        0.93,
    ),
    # relative dates
    (
        re.compile(
            r"\b(?:today|tonight|tomorrow|yesterday|the day before yesterday|the day after tomorrow|"
            r"(?:next|last|this|coming|previous|past)\s+(?:week|weekend|month|quarter|year|fiscal year|business day)|"
            r"(?:the\s+)?end\s+of\s+(?:the\s+)?(?:day|week|month|quarter|year)|"
            r"(?:the\s+)?(?:first|second|third|fourth|last)\s+(?:quarter|half)\s+of\s+(?:the\s+year|" + _YEAR + r")|"
            r"\d+\s+(?:days?|weeks?|months?|years?)\s+ago)\b",
            re.IGNORECASE,
        ),
        0.9,
    ),
    # Q3 2026, H1 FY2026, FY26
    (re.compile(rf"\b(?:(?:Q[1-4]|H[12])\s?(?:FY\s?)?(?:{_YEAR}|'?\d{{2}})|FY\s?(?:{_YEAR}|\d{{2}}))\b"), 0.95),
    # in 2019, 2024-2026
    (
        re.compile(
            rf"\b(?:in|since|by|until|till|from|during|before|after|of|for|year|fiscal|early|late|mid)\s+(?P<only>{_YEAR}(?:\s?[-–]\s?{_YEAR})?)\b(?![.,]?\d|\s?%)",
            re.IGNORECASE,
        ),
        0.9,
    ),
    (re.compile(rf"\b{_YEAR}\s?[-–]\s?{_YEAR}\b"), 0.9),
    # times
    (re.compile(rf"(?<![\w:.]){_TIME}(?![\w:])"), 0.92),
    # the 21st
    (re.compile(r"\bthe\s+(?P<only>(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th))\b"), 0.85),
]
_DATE_JOIN = re.compile(r"\s*,?\s*(?:at|@|from|,)?\s*", re.IGNORECASE)


def _valid_numeric_date(match: re.Match[str]) -> bool:
    groups = match.groupdict()
    if "y" in groups and groups.get("y"):
        month, day = int(groups["m"]), int(groups["d"])
        return 1 <= month <= 12 and 1 <= day <= 31
    if groups.get("a"):
        a, b = int(groups["a"]), int(groups["b"])
        if groups["sep"] == "." and len(groups["c"]) != 4:
            return False
        return (1 <= a <= 12 and 1 <= b <= 31) or (1 <= b <= 12 and 1 <= a <= 31)
    return True


def _date_spans(text: str) -> list[_Span]:
    spans: list[_Span] = []
    for pattern, score in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            if not _valid_numeric_date(match):
                continue
            begin, end = match.span("only") if match.groupdict().get("only") else match.span()
            spans.append(_Span(begin, end, "DATE", score))
    merged = _resolve(spans, {"DATE": 0})
    # "Monday at 10 am", "March 14, 2026, 09:30": one date.
    joined: list[_Span] = []
    for span in merged:
        if joined and _DATE_JOIN.fullmatch(text[joined[-1].end : span.begin]) and span.begin - joined[-1].end <= 6:
            previous = joined.pop()
            span = _Span(previous.begin, span.end, "DATE", max(previous.score, span.score))
        joined.append(span)
    return joined


# --- quantities -----------------------------------------------------------------------

_NUM = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_SCALE = r"(?:\s?(?:thousand|million|billion|trillion)\b|(?:k|K|m|M|bn|mn|B)\b)?"
_CURRENCY_CODES = (
    "USD|EUR|GBP|JPY|CHF|CAD|AUD|NZD|CNY|RMB|INR|SEK|NOK|DKK|PLN|CZK|HUF|MXN|BRL|ZAR|SGD|HKD|KRW|RUB|"
    "TRY|AED|SAR|ILS|THB|IDR|MYR|PHP|ARS|CLP|COP|BTC"
)
_SPELLED = (
    r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    r"sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|"
    r"a\s+hundred|a\s+thousand|hundreds\s+of|thousands\s+of|a\s+dozen|dozens\s+of|a\s+couple\s+of|a\s+few)"
)
_UNITS = (
    r"(?:kg|kgs|g|mg|lb|lbs|oz|t|tonnes?|tons?|km|m|cm|mm|mi|miles?|ft|feet|foot|inch(?:es)?|yards?|"
    r"kilograms?|grams?|kilometres?|kilometers?|metres?|meters?|centimetres?|centimeters?|millimetres?|"
    r"millimeters?|l|L|ml|mL|litres?|liters?|gallons?|sq\s?ft|m2|m²|m3|m³|acres?|hectares?|"
    r"KB|MB|GB|TB|PB|kB|Kbps|Mbps|Gbps|Hz|kHz|MHz|GHz|W|kW|MW|GW|kWh|MWh|V|mAh|Ah|°C|°F|degrees?|"
    r"hours?|hrs?|minutes?|mins?|seconds?|secs?|ms|days?|nights?|weeks?|months?|years?|decades?|"
    r"items?|units?|pieces?|pcs|boxes|box|pallets?|cartons?|cases|crates?|bottles?|packs?|packages?|"
    r"parcels?|shipments?|orders?|copies|copy|users?|seats?|licen[cs]es?|employees?|staff|people|persons?|"
    r"customers?|clients?|subscribers?|members?|visitors?|attendees?|participants?|patients?|students?|"
    r"pages?|words?|characters?|files?|documents?|times|shifts?|rooms?|tickets?|calls?|emails?|"
    r"requests?|transactions?|stores?|offices?|locations?|countries|cities|sites?|servers?|vehicles?|"
    r"cars?|trucks?|points?|stars?|percent|per\s+cent)"
)
_UNIT_MODIFIERS = (
    r"(?:business|working|calendar|full|additional|more|new|extra|separate|different|active|paying|"
    r"monthly|daily|weekly|unique|registered|square|cubic|fewer|less|consecutive|)"
)
_QUANTITY_PATTERNS: list[tuple[re.Pattern[str], float]] = [
    # $1,234.50, US$ 5m, €99, -£3.20
    (re.compile(rf"(?<![\w.])-?(?:US|USD|AU|A|CA|C|NZ|HK|S|R)?[$€£¥₹₩₽¢]\s?{_NUM}{_SCALE}(?![\d,]\d)"), 0.97),
    # EUR 99, USD 1.5 million, 99 EUR
    (re.compile(rf"\b(?:{_CURRENCY_CODES})\s?{_NUM}{_SCALE}(?![\d,]\d)"), 0.96),
    (re.compile(rf"(?<![\w.,]){_NUM}{_SCALE}\s?(?:{_CURRENCY_CODES})\b"), 0.96),
    # 250 dollars, 3 million euros
    (
        re.compile(
            rf"(?<![\w.,]){_NUM}{_SCALE}\s+(?:(?:US|Canadian|Australian|Hong Kong|Singapore)\s+)?"
            r"(?:dollars?|euros?|pounds?(?:\s+sterling)?|yen|yuan|renminbi|cents?|pence|francs?|rupees?|pesos?|"
            r"kronor|krona|kroner|reais|real|won|rubles?|roubles?|dirhams?|riyals?|zloty|bitcoins?)\b",
            re.IGNORECASE,
        ),
        0.95,
    ),
    # 15%, 15 percent, 3.5 percentage points
    (
        re.compile(
            rf"(?<![\w.,])[-+]?{_NUM}\s?(?:%|percent\b|per\s+cent\b|pct\b|percentage\s+points?\b|basis\s+points?\b|bps\b)",
            re.IGNORECASE,
        ),
        0.97,
    ),
    # 250 kg, 16GB, 3 business days, 2,500 customers, 10-12 weeks
    (
        re.compile(
            rf"(?<![\w.,:/-]){_NUM}(?:\s?[-–]\s?{_NUM})?(?:\s?|-){_SCALE}(?:{_UNIT_MODIFIERS}\s+)?{_UNITS}(?![\w])"
        ),
        0.92,
    ),
    # three weeks, a dozen boxes, two hours
    (re.compile(rf"\b{_SPELLED}(?:[\s-]+{_UNIT_MODIFIERS})?\s+{_UNITS}\b", re.IGNORECASE), 0.88),
]


def _quantity_spans(text: str) -> list[_Span]:
    spans = []
    for pattern, score in _QUANTITY_PATTERNS:
        for match in pattern.finditer(text):
            begin, end = match.span()
            while end > begin and text[end - 1].isspace():
                end -= 1
            spans.append(_Span(begin, end, "QUANTITY", score))
    return spans


# --- contact details shared by entities and PII ---------------------------------------

_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}\b"
)
_URL = re.compile(r"\b(?:https?://|ftp://|www\.)[^\s<>\"'`{}|\\^\[\]]+", re.IGNORECASE)
_URL_TRAILING = ".,;:!?)]}'\""


def _url_spans(text: str) -> Iterator[tuple[int, int]]:
    for match in _URL.finditer(text):
        begin, end = match.span()
        while end > begin and text[end - 1] in _URL_TRAILING:
            if text[end - 1] == ")" and text[begin:end].count("(") >= text[begin:end].count(")"):
                break
            end -= 1
        if end - begin > 4:
            yield begin, end


def _phone_spans(text: str, region: str) -> Iterator[tuple[int, int, float]]:
    import phonenumbers

    for match in phonenumbers.PhoneNumberMatcher(text, region):
        yield match.start, match.end, 0.95 if phonenumbers.is_valid_number(match.number) else 0.8


# --- addresses ------------------------------------------------------------------------

_STREET_SUFFIX = (
    r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Ter|"
    r"Parkway|Pkwy|Highway|Hwy|Circle|Cir|Square|Sq|Trail|Trl|Alley|Row|Close|Crescent|Cres|Plaza|Loop|"
    r"Pike|Mews|Gardens|Grove|Hill|Walk|Green|Park|Broadway)"
)
_DIRECTION = r"(?:N|S|E|W|NE|NW|SE|SW|North|South|East|West)\.?"
_CAP_WORD = r"[A-Z][a-zà-ÿ'’]+(?:-[A-Z][a-zà-ÿ]+)?"
_UNIT = r"(?:,?[ \t]+(?:Apt|Apartment|Suite|Ste|Unit|Floor|Fl|Room|Rm|Bldg|Building|#)\.?[ \t]*#?[A-Za-z0-9-]{1,6})"
_ZIP = r"(?:\d{5}(?:-\d{4})?)"
_UK_POSTCODE = r"(?:[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2})"
_CITY = rf"(?:{_CAP_WORD}(?:[ \t]+{_CAP_WORD}){{0,2}})"
_STATE_NAMES = (
    "Alabama|Alaska|Arizona|Arkansas|California|Colorado|Connecticut|Delaware|Florida|Georgia|Hawaii|"
    "Idaho|Illinois|Indiana|Iowa|Kansas|Kentucky|Louisiana|Maine|Maryland|Massachusetts|Michigan|"
    "Minnesota|Mississippi|Missouri|Montana|Nebraska|Nevada|New Hampshire|New Jersey|New Mexico|New York|"
    "North Carolina|North Dakota|Ohio|Oklahoma|Oregon|Pennsylvania|Rhode Island|South Carolina|"
    "South Dakota|Tennessee|Texas|Utah|Vermont|Virginia|Washington|West Virginia|Wisconsin|Wyoming"
)
_ADDRESS_PATTERNS = [
    # 1600 Pennsylvania Avenue NW, Suite 200, Washington, DC 20500 / 221B Baker Street, London NW1 6XE
    re.compile(
        rf"\b\d{{1,6}}[A-Za-z]?(?:-\d{{1,4}})?[ \t]+(?:{_DIRECTION}[ \t]+)?(?:{_CAP_WORD}|\d{{1,3}}(?:st|nd|rd|th))"
        rf"(?:[ \t]+{_CAP_WORD}){{0,3}}[ \t]+{_STREET_SUFFIX}\b(?:\.(?=[\s,]))?(?:[ \t]+{_DIRECTION}(?![\w]))?{_UNIT}?"
        rf"(?:(?:,\s*|[ \t]+){_CITY}(?:,[ \t]*(?:{US_STATE_CODES}|{_STATE_NAMES})\b)?"
        rf"(?:,?[ \t]+(?:{_ZIP}|{_UK_POSTCODE}))?(?![\w]))?"
    ),
    # P.O. Box 1234, Springfield, IL 62704
    re.compile(
        rf"\bP\.?\s?O\.?\s+Box\s+\d{{1,6}}(?:,?\s+{_CITY}(?:,\s*(?:{US_STATE_CODES})\b)?(?:\s+{_ZIP})?(?![\w]))?"
    ),
    # Calle Mayor 12, 3º B, 28013 Madrid
    re.compile(
        rf"\b(?:Calle|C/|Avenida|Avda\.|Av\.|Paseo|Plaza|Pza\.|Camino|Carrera|Carretera|Ronda|Travesía|Rua|Rue|Via|Viale|Corso)\s+"
        rf"(?:(?:de|del|la|las|los|el|da|do|dos|des|di)\s+)*{_CAP_WORD}(?:\s+(?:(?:de|del|la|las|los)\s+)?{_CAP_WORD}){{0,3}}"
        r",?\s+(?:n\.?º\s*)?\d{1,4}[A-Za-z]?(?:,\s*\d{1,2}\s*[ºª°]\s*[A-Za-z]?(?!\w))?"
        rf"(?:,?\s+\d{{5}}(?:\s+{_CITY})?)?"
    ),
    # Obere Str. 57, 12209 Berlin / Hauptstraße 5
    re.compile(
        rf"\b(?:[A-ZÄÖÜ][a-zäöüß]+(?:straße|strasse|str\.|weg|platz|allee|gasse|ring|damm|ufer|gracht|laan|plein|vej|gatan|gata)"
        rf"|{_CAP_WORD}[ \t]+(?:Str\.|Straße|Strasse|Weg|Platz|Allee|Gasse|Ring|Damm))[ \t]+\d{{1,4}}[a-z]?\b"
        rf"(?:,?\s+\d{{4,5}}[ \t]+{_CITY}(?:,[ \t]*{_CAP_WORD})?)?"
    ),
    # City, ST 12345
    re.compile(rf"\b{_CITY},\s+(?:{US_STATE_CODES})\s+{_ZIP}\b"),
]


def _address_spans(text: str) -> list[_Span]:
    spans = []
    for pattern in _ADDRESS_PATTERNS:
        for match in pattern.finditer(text):
            begin, end = match.span()
            while end > begin and text[end - 1] in " ,":
                end -= 1
            spans.append(_Span(begin, end, "ADDRESS", 0.93))
    return spans


# --- names ----------------------------------------------------------------------------

_NAME_PARTICLES = _words("van von de da del della der di du la le bin ibn al el dos das ter ten")
_NOT_NAMES = (
    MONTHS
    | WEEKDAYS
    | ORG_SUFFIXES
    | _ORG_OF_HEADS
    | _words(
        "I The A An This That These Those Our Your My Their His Her Its We You They He She It Please Thanks "
        "Thank Dear Hi Hello Hey Regards Best Kind Sincerely Team Customer Customers Support Service Services "
        "Sales Account Accounts Billing Invoice Order Orders Payment Street Avenue Road New Old North South "
        "East West Central Great Street St Ave Rd Suite Apt Unit Room Floor Mr Mrs Ms Dr Prof Sir Madam Hotel "
        "Department Manager Director Chief Officer President CEO CFO CTO Head Office Total Subject Re Fw Fwd "
        "Today Tomorrow Yesterday Monday Tuesday Wednesday Thursday Friday Saturday Sunday Christmas Easter"
    )
)


def _is_cap_word(token: _Token) -> bool:
    word = token.text
    return word[:1].isupper() and word[:1].isalpha() and (len(word) == 1 or not word.isupper() or len(word) <= 2)


def _name_part(token: _Token) -> bool:
    return (
        _is_cap_word(token)
        and len(token.text) > 1
        and token.text not in _NOT_NAMES
        and token.lower not in STOPWORDS
        and token.lower not in VERBS
    )


def _name_run(tokens: list[_Token], start: int, limit: int = 3) -> int:
    """The end index of the run of name parts from ``start`` (initials and particles included)."""
    index = start
    parts = 0
    while index < len(tokens) and parts < limit:
        token = tokens[index]
        if _name_part(token):
            index += 1
            parts += 1
        elif (
            len(token.text) == 1
            and token.text.isupper()
            and index + 1 < len(tokens)
            and tokens[index + 1].text == "."
            and index + 2 < len(tokens)
            and _name_part(tokens[index + 2])
            and parts > 0
        ):
            index += 2  # a middle initial: John F. Kennedy
        elif token.lower in _NAME_PARTICLES and parts > 0 and index + 1 < len(tokens) and _name_part(tokens[index + 1]):
            index += 1
        else:
            break
        if index < len(tokens) and (tokens[index].begin - tokens[index - 1].end > 1 or tokens[index].sentence_start):
            break
    return index


def _adjacent(tokens: list[_Token], i: int, j: int) -> bool:
    """Tokens i and j (j = i + 1) are separated by a single space or nothing."""
    return tokens[j].begin - tokens[i].end <= 1


def _person_spans(text: str, tokens: list[_Token], gazetteer: set[str]) -> list[_Span]:
    spans: list[_Span] = []
    count = len(tokens)
    i = 0
    while i < count:
        token = tokens[i]
        found: tuple[int, int, float] | None = None
        # Dr. Maria Gonzalez, Mr Smith
        if token.text in TITLES and i + 1 < count:
            j = i + 1
            if tokens[j].text == "." and _adjacent(tokens, i, j):
                j += 1
            end = _name_run(tokens, j)
            if end > j:
                found = (j, end, 0.96)
        # Priya Raman, Carlos
        elif token.text in GIVEN_NAMES and _name_part(token):
            end = _name_run(tokens, i)
            if end > i + 1:
                found = (i, end, 0.95 if tokens[end - 1].text in SURNAMES else 0.9)
            elif token.text not in AMBIGUOUS_GIVEN:
                found = (i, i + 1, 0.8)
        # Kowalczyk as the surname of an unlisted given name: Bartosz Kowalczyk
        elif (
            _name_part(token)
            and i + 1 < count
            and tokens[i + 1].text in SURNAMES
            and _name_part(tokens[i + 1])
            and _adjacent(tokens, i, i + 1)
        ):
            end = _name_run(tokens, i)
            found = (i, max(end, i + 2), 0.85)
        # Anneliese Wójcik will present ...: unlisted names, a surname's ending, then a verb
        elif _name_part(token) and (end := _name_run(tokens, i)) - i >= 2 and _surname_like(tokens[end - 1].text):
            if end < count and (tokens[end].lower in _PERSON_VERBS or tokens[end].text in {",", "("}):
                found = (i, end, 0.75)
        # Dear Ngozi Okafor, contact Bartosz Wójcik, signed by ...
        elif token.lower in PERSON_CUES and i + 1 < count:
            j = i + 1
            while (
                j < count
                and j <= i + 2
                and (
                    tokens[j].text in {":", ","} or tokens[j].lower in {"to", "by", "with", "is", "was", "are", "were"}
                )
            ):
                j += 1
            end = _name_run(tokens, j) if j < count else j
            needed = (
                1
                if token.lower in {"dear", "hi", "hello", "hey", "attn", "attention", "name", "named", "mr", "ms"}
                else 2
            )
            if end - j >= needed:
                found = (j, end, 0.85)
        if found:
            first, last, score = found
            begin, end = tokens[first].begin, tokens[last - 1].end
            candidate = text[begin:end]
            if candidate not in gazetteer and not any(
                tokens[k].text in gazetteer for k in range(first, last) if score < 0.9
            ):
                spans.append(_Span(begin, end, "PERSON", score))
                i = last
                continue
        i += 1
    return spans


# --- organisations --------------------------------------------------------------------


def _organization_spans(text: str, tokens: list[_Token]) -> list[_Span]:
    spans: list[_Span] = []
    for i, token in enumerate(tokens):
        if token.text in ORG_SUFFIXES and i > 0:
            end_index = i + 1
            if (
                token.text in _ORG_ABBREVIATIONS
                and i + 1 < len(tokens)
                and tokens[i + 1].text == "."
                and tokens[i + 1].begin == token.end
            ):
                end_index = i + 2
            j = i - 1
            if tokens[j].text == "," and token.text in {
                "Inc",
                "Ltd",
                "LLC",
                "LLP",
                "Corp",
                "Co",
                "PLC",
                "GmbH",
                "AG",
                "SA",
            }:
                j -= 1
            start = None
            words = 0
            while j >= 0 and words < 6:
                part = tokens[j]
                if tokens[j + 1].sentence_start:
                    break  # names do not run on over a line or sentence break
                if (part.is_word and (_is_cap_word(part) or part.text.isupper())) or (
                    part.text[:1].isdigit() and any(c.isalpha() for c in part.text)
                ):
                    start = j
                    words += 1
                elif (
                    part.text in {"&", "of", "for", "de", "-"}
                    and j > 0
                    and (_is_cap_word(tokens[j - 1]) or tokens[j - 1].text.isupper())
                ):
                    pass
                elif part.text == "." and j > 0 and len(tokens[j - 1].text) == 1 and tokens[j - 1].text.isupper():
                    pass  # initials: J. P. Morgan
                else:
                    break
                j -= 1
            if start is None:
                continue
            # Drop sentence-initial common words: "Yesterday Acme Corp", "Contact Acme Corp".
            while start < i and (
                tokens[start].lower in STOPWORDS
                or tokens[start].lower in VERBS
                or tokens[start].text in _NOT_NAMES - ORG_SUFFIXES - _ORG_OF_HEADS
                or tokens[start].text in {"&", "and", "of", "for", "-", "the"}
            ):
                start += 1
            if start >= i:
                continue
            spans.append(_Span(tokens[start].begin, tokens[end_index - 1].end, "ORGANIZATION", 0.93))
        if (
            token.text in _ORG_OF_HEADS
            and i + 2 < len(tokens)
            and tokens[i + 1].text == "of"
            and _is_cap_word(tokens[i + 2])
        ):
            end = i + 2
            while end < len(tokens) and (
                _is_cap_word(tokens[end])
                or (tokens[end].text in {"and", "&", "of"} and end + 1 < len(tokens) and _is_cap_word(tokens[end + 1]))
            ):
                end += 1
            start = i
            while (
                start > 0
                and _is_cap_word(tokens[start - 1])
                and tokens[start - 1].lower not in STOPWORDS
                and not tokens[start - 1].sentence_start
            ):
                start -= 1
            spans.append(_Span(tokens[start].begin, tokens[end - 1].end, "ORGANIZATION", 0.92))
    for match in _KNOWN_ORGANIZATIONS.finditer(text):
        spans.append(_Span(match.start(), match.end(), "ORGANIZATION", 0.9))
    return spans


_KNOWN_ORGANIZATIONS = re.compile(rf"(?<![\w&-])(?:{_alternation(KNOWN_ORGANIZATIONS)})(?![\w&-]|'s\w)")
_LOCATIONS = re.compile(rf"(?<![\w-])(?:{_alternation(COUNTRIES + '|' + REGIONS + '|' + CITIES)})(?![\w-])")
_CITY_STATE = re.compile(rf"\b{_CITY},\s+(?:{US_STATE_CODES})\b(?![\w])")
_ITEM_MODEL_REQUIRED = _ITEM_MODEL[: -len("*")] + "+"
_ITEMS = re.compile(
    rf"(?<![\w-])(?:(?:{_alternation(COMMERCIAL_ITEMS)}){_ITEM_MODEL}"
    rf"|(?:{COMMERCIAL_ITEMS_WITH_MODEL}){_ITEM_MODEL_REQUIRED})(?![\w-])"
)
_EVENTS = re.compile(
    rf"(?<![\w-])(?:(?:{_alternation(EVENTS)})|(?:(?:{_YEAR}|[A-Z][\w'’&-]*)\s+)"
    rf"(?:(?:[A-Z][\w'’&-]*|of|and|&)\s+){{0,4}}(?:{_EVENT_HEADS})(?:\s+{_YEAR})?)(?![\w-])"
)
_TITLES = re.compile(
    r"\b(?:book|novel|film|movie|album|song|series|show|play|article|paper|report|podcast|game|documentary|poem|title)"
    r"\s+(?:called\s+|titled\s+|entitled\s+|named\s+)?[\"“'‘](?P<only>[A-Z0-9][^\"”'’\n]{1,80})[\"”'’]",
    re.IGNORECASE,
)
_GAZETTEER = set(re.sub(r"\\", "", COUNTRIES + "|" + REGIONS + "|" + CITIES).split("|")) | set(
    KNOWN_ORGANIZATIONS.split("|")
)


def _entity_spans(text: str, with_contacts: bool = True) -> list[_Span]:
    tokens = _tokens(text)
    spans: list[_Span] = []
    if with_contacts:
        for match in _EMAIL.finditer(text):
            spans.append(_Span(match.start(), match.end(), "OTHER", 0.97))
        for begin, end in _url_spans(text):
            spans.append(_Span(begin, end, "OTHER", 0.95))
        for begin, end, score in _phone_spans(text, "US"):
            spans.append(_Span(begin, end, "OTHER", score))
    spans.extend(_address_spans(text))
    spans.extend(_date_spans(text))
    spans.extend(_quantity_spans(text))
    spans.extend(_organization_spans(text, tokens))
    spans.extend(_Span(m.start(), m.end(), "COMMERCIAL_ITEM", 0.85) for m in _ITEMS.finditer(text))
    spans.extend(_Span(m.start(), m.end(), "EVENT", 0.85) for m in _EVENTS.finditer(text))
    spans.extend(_Span(*m.span("only"), "TITLE", 0.8) for m in _TITLES.finditer(text))
    spans.extend(_person_spans(text, tokens, _GAZETTEER))
    for match in _LOCATIONS.finditer(text):
        spans.append(_Span(match.start(), match.end(), "LOCATION", 0.9))
    for match in _CITY_STATE.finditer(text):
        spans.append(_Span(match.start(), match.end(), "LOCATION", 0.9))
    # Contacts and street addresses first; then the longest reading wins ("AWS Summit 2026" is
    # an event, not the organisation AWS), priority breaking ties.
    return _resolve(
        spans, _PRIORITY_ENTITIES, {kind: 0 if kind in {"OTHER", "ADDRESS"} else 1 for kind in _PRIORITY_ENTITIES}
    )


def _entities(text: str) -> list[Json]:
    """Street addresses are LOCATION entities, as Comprehend types them."""
    return [
        {
            "Score": _score(span.score),
            "Type": "LOCATION" if span.type == "ADDRESS" else span.type,
            "Text": text[span.begin : span.end],
            "BeginOffset": span.begin,
            "EndOffset": span.end,
        }
        for span in _entity_spans(text)
    ]


# --- key phrases ----------------------------------------------------------------------


def _is_adjective(word: str) -> bool:
    lower = word.lower()
    if lower in ADJECTIVES:
        return True
    if lower in _ABLE_NOUNS:
        return False
    return len(lower) > 5 and lower.endswith(("ful", "less", "ous", "able", "ible", "ish"))


def _inflections(base: str) -> set[str]:
    forms = {base}
    if base.endswith("e"):
        forms |= {base + "s", base + "d", base[:-1] + "ing"}
    elif base.endswith("y") and len(base) > 2 and base[-2] not in "aeiou":
        forms |= {base[:-1] + "ies", base[:-1] + "ied", base + "ing"}
    elif base.endswith(("s", "x", "z", "ch", "sh")):
        forms |= {base + "es", base + "ed", base + "ing"}
    else:
        forms |= {base + "s", base + "ed", base + "ing"}
        if (
            len(base) <= 4
            and len(base) >= 3
            and base[-1] not in "aeiouwxy"
            and base[-2] in "aeiou"
            and base[-3] not in "aeiou"
        ):
            forms |= {base + base[-1] + "ed", base + base[-1] + "ing"}  # ship: shipped, shipping
    return forms


#: Forms that are verbs whatever their place: inflections of verbs that are rarely nouns.
_VERB_FORMS = (
    frozenset(form for base in VERBS - COMMON_NOUN_VERBS for form in _inflections(base) if not form.endswith("ing"))
    - COMMON_NOUN_VERBS
    - _ING_NOUNS
)
#: Past forms of verbs that are also nouns ("ordered", "shipped"): verbs unless after a determiner.
_PAST_FORMS = frozenset(form for base in COMMON_NOUN_VERBS for form in _inflections(base) if form.endswith("ed"))
_LY_WORDS = _words(
    "supply family reply apply assembly anomaly italy july monthly weekly daily yearly quarterly early only "
    "jelly rally ally belly fly holy ugly friendly lovely"
)
#: Words after which a word that may be a noun or a verb is a verb.
_VERB_CONTEXT = _words(
    "please kindly to will would can could should must may might shall i we you they he she it "
    "let's don't didn't doesn't won't can't cannot never also just always often usually not"
)
_KEY_PHRASE_BREAKS = _words("dear hi hello hey regards thanks thank cheers sincerely yes no ok okay")


def _verb_like(word: str, previous_kind: str | None) -> bool:
    lower = word.lower()
    if previous_kind == "DET" and lower.endswith(("ed", "ing")):
        return False  # "the attached invoice", "the remaining pallets"
    if lower in _VERB_FORMS:
        return True
    if lower in _PAST_FORMS and previous_kind != "DET":
        return True
    return lower.endswith("ly") and len(lower) > 4 and lower not in _LY_WORDS


_Unit = tuple[str, int, int, str]  # text, begin, end, kind: DET, WORD, TITLE, ENTITY, DATE, BREAK


_CODE = re.compile(r"(?<![\w:.-])(?=[\w:./-]*\d)\w+(?:(?:[-./]|::?)\w+)+")


def _key_phrase_units(text: str) -> list[_Unit]:
    """Atomic entities and the tokens outside them, each with its part in a noun phrase."""
    entities = _entity_spans(text)
    # Codes and numbers with separators (INV-2026-0042, 10.0.12.7, 123-45-6789) stay whole.
    entities = _resolve([*entities, *(_Span(*m.span(), "CODE", 0.9) for m in _CODE.finditer(text))], {"CODE": 100})
    units: list[_Unit] = []
    covered_until = -1
    next_entity = 0
    tokens = _tokens(text)
    for index, token in enumerate(tokens):
        if token.begin < covered_until:
            continue
        while next_entity < len(entities) and entities[next_entity].end <= token.begin:
            next_entity += 1
        if next_entity < len(entities) and entities[next_entity].begin < token.end:
            span = entities[next_entity]  # the token starts, or is inside, an entity
            units.append(
                (text[span.begin : span.end], span.begin, span.end, "DATE" if span.type == "DATE" else "ENTITY")
            )
            covered_until = span.end
            continue
        lower = token.lower
        previous = units[-1][3] if units else None
        if token.text == "." and previous == "TITLE" and units[-1][2] == token.begin:
            kind = "TITLE"  # the dot of "Ms."
        elif token.text in TITLES:
            kind = "TITLE"
        elif not token.is_word and not token.text[:1].isdigit():
            kind = "BREAK"
        elif lower in DETERMINERS and lower not in {"that", "all", "both", "more", "most", "much", "no"}:
            kind = "DET"
        elif lower in STOPWORDS or lower in _KEY_PHRASE_BREAKS or _verb_like(token.text, previous):
            kind = "BREAK"
        elif lower in COMMON_NOUN_VERBS and (
            (index > 0 and tokens[index - 1].lower in _VERB_CONTEXT)
            or (token.sentence_start and index + 1 < len(tokens) and tokens[index + 1].lower in DETERMINERS)
        ):
            kind = "BREAK"  # "please review", "we order", "Update the address": verbs
        else:
            kind = "WORD"
        units.append((token.text, token.begin, token.end, kind))
    return units


def _key_phrases(text: str) -> list[Json]:
    phrases: list[Json] = []
    chunk: list[_Unit] = []

    def flush() -> None:
        words = list(chunk)
        chunk.clear()
        while words and (words[-1][3] == "TITLE" or (words[-1][3] == "WORD" and _bad_head(words, len(words) - 1))):
            words.pop()
        while words and words[0][3] == "WORD" and _bad_start(words):
            words.pop(0)
        content = [w for w in words if w[3] not in {"DET", "TITLE"}]
        if not content:
            return
        if len(content) == 1 and content[0][3] == "WORD" and (_is_adjective(content[0][0]) or len(content[0][0]) < 2):
            return
        begin, end = words[0][1], words[-1][2]
        has_entity = any(w[3] in {"ENTITY", "DATE"} for w in words)
        score = (
            0.88 + 0.025 * min(len(content), 4) + (0.02 if words[0][3] == "DET" else 0) + (0.03 if has_entity else 0)
        )
        phrases.append(
            {"Score": _score(min(score, 0.999)), "Text": text[begin:end], "BeginOffset": begin, "EndOffset": end}
        )

    for unit in _key_phrase_units(text):
        kind = unit[3]
        if chunk and re.search(r"[\n\t]", text[chunk[-1][2] : unit[1]]):
            flush()
        if kind == "BREAK":
            flush()
        elif kind == "DATE":
            flush()
            chunk.append(unit)
            flush()
        elif (kind in {"DET", "TITLE"} and chunk and chunk[-1][3] != "TITLE") or (
            kind == "ENTITY" and chunk and chunk[-1][3] == "ENTITY"
        ):
            flush()  # a determiner or title opens a new phrase; two entities are two phrases
            chunk.append(unit)
        else:
            if len(chunk) >= 6:
                flush()
            chunk.append(unit)
    flush()
    return phrases


def _bad_head(words: list[tuple[str, int, int, str]], index: int) -> bool:
    word = words[index][0]
    lower = word.lower()
    if word[:1].isupper() and index > 0:
        return False
    if _is_adjective(word):
        return True
    if lower.endswith("ing") and lower not in _ING_NOUNS:
        return not (index > 0 and words[index - 1][3] == "DET")
    return lower.endswith("ed") and len(lower) > 4 and lower not in _ED_NOUNS


def _bad_start(words: list[tuple[str, int, int, str]]) -> bool:
    word = words[0][0]
    lower = word.lower()
    if lower in COMMON_NOUN_VERBS and len(words) > 1 and words[1][3] == "ENTITY":
        return True  # "order 3 boxes"
    if lower.endswith("ed") and len(lower) > 4 and lower not in _ED_NOUNS and len(words) == 1:
        return True
    # "waiting three weeks": a participle before an entity is a verb.
    return lower.endswith("ing") and lower not in _ING_NOUNS and len(words) > 1 and words[1][3] in {"ENTITY", "DATE"}


# --- sentiment ------------------------------------------------------------------------

#: Valences (VADER's -4..+4 scale) for words of business and customer-service text that
#: VADER's general lexicon lacks or weighs for social media; politeness markers are neutral.
_COMPLAINT = "insightcomplaintphrase"
_PRAISE = "insightpraisephrase"
BUSINESS_LEXICON: dict[str, float] = {
    "please": 0.0,
    "kindly": 0.0,
    "crash": -1.7,
    "crashes": -1.7,
    "crashed": -1.7,
    "crashing": -1.7,
    "outage": -2.0,
    "outages": -2.0,
    "downtime": -1.2,
    "overcharged": -2.2,
    "overpriced": -1.8,
    "defect": -1.6,
    "defects": -1.6,
    "unresponsive": -1.7,
    "slow": -1.0,
    "slower": -1.2,
    "sluggish": -1.4,
    "late": -0.8,
    "glitch": -1.3,
    "glitches": -1.3,
    "buggy": -1.8,
    "bug": -1.0,
    "bugs": -1.0,
    "jam": -1.0,
    "jams": -1.1,
    "jammed": -1.2,
    "leak": -1.3,
    "leaking": -1.4,
    "corrupted": -2.0,
    "unfinished": -1.0,
    "unusable": -2.3,
    "malfunction": -1.8,
    "malfunctioning": -1.8,
    "scratched": -1.2,
    "dented": -1.2,
    "torn": -1.3,
    "tore": -1.2,
    "misled": -1.9,
    "mislead": -1.8,
    "misleading": -1.8,
    "unreachable": -1.5,
    "backlog": -0.8,
    "overdue": -1.0,
    "expired": -0.6,
    "refused": -1.4,
    "unanswered": -1.6,
    "fast": 1.2,
    "faster": 1.3,
    "quick": 1.0,
    "promptly": 1.3,
    "smooth": 1.3,
    "smoothly": 1.4,
    "seamless": 1.8,
    "seamlessly": 1.8,
    "reliable": 1.6,
    "stable": 1.0,
    "intuitive": 1.6,
    "spotless": 1.7,
    "flawless": 2.3,
    "flawlessly": 2.3,
    "efficient": 1.5,
    "responsive": 1.3,
    "knowledgeable": 1.5,
    "informative": 1.3,
    "productive": 1.4,
    "user-friendly": 1.7,
    "on-time": 1.0,
    "hassle-free": 1.8,
    "leaks": -1.3,
    "stained": -1.2,
    "disconnected": -1.3,
    "vague": -1.0,
    "unclear": -1.0,
    "outdated": -0.9,
    "missed": -0.8,
    # Financial trends, as finance sentiment lexicons weigh them.
    "declined": -0.9,
    "decline": -0.9,
    "declining": -0.9,
    "shrank": -1.0,
    "shrunk": -1.0,
    "plunged": -1.8,
    "slumped": -1.5,
    "grew": 1.0,
    "growth": 1.0,
    "surged": 1.2,
    "soared": 1.5,
    # Business vocabulary that VADER's social-media lexicon scores but that names things in
    # business text ("customer support", "both parties", "shared folder", "public holiday").
    "number": 0.0,
    "numbers": 0.0,
    "top": 0.0,
    "support": 0.0,
    "party": 0.0,
    "parties": 0.0,
    "safety": 0.0,
    "agreement": 0.0,
    "agreements": 0.0,
    "share": 0.0,
    "shares": 0.0,
    "shared": 0.0,
    "holiday": 0.0,
    "holidays": 0.0,
    "exclude": 0.0,
    "excluding": 0.0,
    "straight": 0.0,
    "interest": 0.0,
    "credit": 0.0,
    "credits": 0.0,
    "fund": 0.0,
    "funds": 0.0,
    "care": 0.0,
    _COMPLAINT: -2.0,
    _PRAISE: 2.0,
}

#: Phrases of customer complaints and praise that no single word of them carries; each is
#: read as one strongly negative or positive word (sentiment needs no offsets).
_COMPLAINT_PHRASES = re.compile(
    r"\bnever\s+(?:arrived|came|showed\s+up|received|got\s+back|heard\s+back|responded|replied)\b|"
    r"\b(?:has|have|had|did|does|do|is|was|are|were)(?:n[’']t|\s+not)\s+(?:yet\s+)?"
    r"(?:arrived?|work(?:ed|ing)?|respond(?:ed)?|repl(?:y|ied)|answer(?:ed)?|address(?:ed)?|"
    r"been\s+(?:delivered|resolved|fixed|refunded|processed|shipped|answered))\b|"
    r"\bstill\s+(?:waiting|not|haven[’']t|hasn[’']t|no)\b|"
    r"\b(?:stopped|stops)\s+working\b|\bnot\s+working\b|"
    r"\b(?:put|kept|left)\s+(?:me\s+|us\s+)?on\s+hold\b|"
    r"\b(?:nobody|no\s+one|no-one)\s+(?:\w+\s+)?(?:answers|answered|responds|responded|replies|replied|"
    r"calls|called|got\s+back|cares|helped|bothered|tell|told)\b|"
    r"\bfed\s+up\b|\b(?:hung|hangs|hang)\s+up\s+on\b|\bwaste\s+of\s+(?:time|money)\b|"
    r"\b(?:wrong|incorrect)\s+(?:item|items|parts?|order|size|product|amount|address|charge)\b|"
    r"\bfor\s+the\s+(?:second|third|fourth|fifth|umpteenth)\s+time\b|"
    r"\b(?:keeps|kept)\s+(?:crashing|failing|freezing|logging|rejecting|breaking|dropping)\b|"
    r"\bwithout\s+(?:any\s+)?(?:explanation|warning|notice|response|reply)\b",
    re.IGNORECASE,
)
_PRAISE_PHRASES = re.compile(
    r"\b(?:exceeded|surpassed|beat)\s+(?:\w+\s+)?expectations\b|"
    r"\bahead\s+of\s+(?:schedule|time|forecast|plan|target)\b|"
    r"\bwent\s+(?:smoothly|well|perfectly)\b|"
    r"\bsaves?\s+(?:\w+\s+)?(?:a\s+lot\s+of\s+)?(?:time|money)\b|"
    r"\b(?:five|5)\s+stars\b",
    re.IGNORECASE,
)
#: "I would like to ...": a request, not a liking.
_WOULD_LIKE = re.compile(r"\b(would|[’']d)\s+like\b", re.IGNORECASE)


def _for_sentiment(sentence: str) -> str:
    sentence = _WOULD_LIKE.sub(r"\1 want", sentence)
    sentence = _COMPLAINT_PHRASES.sub(f" {_COMPLAINT} ", sentence)
    return _PRAISE_PHRASES.sub(f" {_PRAISE} ", sentence)


#: The softmax's sharpness, the |compound| under which text is NEUTRAL (VADER's own cut is
#: 0.05; business text is more formal and carries politeness words), and the weight of
#: mixed polarity (positive and negative at once) against net polarity.
SENTIMENT_SHARPNESS = 8.0
NEUTRAL_THRESHOLD = 0.15
MIXED_WEIGHT = 2.0

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_analyzer: Any = None
_analyzer_lock = threading.Lock()


def _vader() -> Any:
    global _analyzer
    with _analyzer_lock:
        if _analyzer is None:
            from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

            analyzer = SentimentIntensityAnalyzer()
            analyzer.lexicon.update(BUSINESS_LEXICON)
            _analyzer = analyzer
        return _analyzer


def _sentiment(text: str) -> Json:
    analyzer = _vader()
    sentences = [piece for piece in _SENTENCE_END.split(text) if piece and piece.strip()]
    positive = negative = within = weight_total = 0.0
    for sentence in sentences:
        scores = analyzer.polarity_scores(_for_sentiment(sentence))
        weight = float(len(sentence))
        compound = scores["compound"]
        positive += weight * max(compound, 0.0)
        negative += weight * max(-compound, 0.0)
        within += weight * min(scores["pos"], scores["neg"])
        weight_total += weight
    if weight_total:
        positive, negative, within = positive / weight_total, negative / weight_total, within / weight_total
    polarity = positive - negative
    mixed = MIXED_WEIGHT * (min(positive, negative) + within)
    logits = {
        "Positive": SENTIMENT_SHARPNESS * polarity,
        "Negative": -SENTIMENT_SHARPNESS * polarity,
        "Neutral": SENTIMENT_SHARPNESS * (2 * NEUTRAL_THRESHOLD - abs(polarity)),
        "Mixed": SENTIMENT_SHARPNESS * mixed,
    }
    top = max(logits.values())
    exponentials = {name: math.exp(value - top) for name, value in logits.items()}
    total = sum(exponentials.values())
    scores = {name: value / total for name, value in exponentials.items()}
    label = max(scores, key=lambda name: scores[name])
    return {"Sentiment": label.upper(), "SentimentScore": {name: _score(value) for name, value in scores.items()}}


# --- language -------------------------------------------------------------------------

_factory: Any = None
_factory_lock = threading.Lock()
_LANGDETECT_CODES = {"zh-cn": "zh", "zh-tw": "zh-TW"}
_HANGUL = re.compile("[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")
_KANA = re.compile("[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]")


def _languages(text: str) -> list[Json]:
    global _factory
    from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory
    from langdetect.lang_detect_exception import LangDetectException

    with _factory_lock:
        if _factory is None:
            factory = DetectorFactory()
            factory.load_profile(PROFILES_DIRECTORY)
            factory.set_seed(0)
            _factory = factory
    detector = _factory.create()  # each detector has its own seeded random.Random
    # Chinese characters are shared with Korean and Japanese profiles: Korean text is written
    # in Hangul and Japanese text in kana, so without those scripts they are ruled out.
    excluded = set()
    if not _HANGUL.search(text):
        excluded.add("ko")
    if not _KANA.search(text):
        excluded.add("ja")
    detector.set_prior_map({language: 0.0 if language in excluded else 1.0 for language in _factory.get_lang_list()})
    detector.append(text)
    try:
        found = detector.get_probabilities()
    except LangDetectException:
        return []  # no letters to judge by
    return [{"LanguageCode": _LANGDETECT_CODES.get(item.lang, item.lang), "Score": _score(item.prob)} for item in found]


# --- PII ------------------------------------------------------------------------------

_SSN = re.compile(r"(?<![\w-])(?!000|666|9\d\d)\d{3}(?P<sep>[- ])(?!00)\d{2}(?P=sep)(?!0000)\d{4}(?![\w-])")
_SSN_CONTEXT = re.compile(
    r"(?:\bSSN|\bsocial\s+security(?:\s+(?:number|no\.?|#))?|\bSS#)\s*(?:is|:|#|number)?\s*(?P<n>(?!000|666|9\d\d)\d{3}(?!00)\d{2}(?!0000)\d{4})\b",
    re.IGNORECASE,
)
_CARD = re.compile(r"(?<![\w-])(?:\d[ -]?){12,18}\d(?![\w-])")
_IPV4 = re.compile(
    r"(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:/\d{1,2})?(?![\w.]|\.\d)"
)
_IPV6 = re.compile(
    r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|(?:\d{1,3}\.){3}\d{1,3})?(?:%\w+)?(?:/\d{1,3})?(?![\w:])"
)
_MAC = re.compile(r"(?<![\w:-])[0-9A-Fa-f]{2}(?P<sep>[:-])(?:[0-9A-Fa-f]{2}(?P=sep)){4}[0-9A-Fa-f]{2}(?![\w:-])")
_AWS_ACCESS_KEY = re.compile(r"\b(?:AKIA|ASIA|AIDA|AROA)[0-9A-Z]{16}\b")
_AWS_SECRET_KEY = re.compile(r"(?i:secret(?:[ _-]?access)?[ _-]?key)\W{0,5}(?P<n>[A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
_BANK_ACCOUNT = re.compile(
    r"(?i:(?:bank\s+)?(?:account|acct|a/c)\.?\s*(?:number|no\.?|num|#)?\s*(?:is|:|#)?\s*)"
    r"(?P<n>\d[\d -]{5,20}\d)(?![\w-])"
)
_ROUTING = re.compile(r"(?i:(?:routing|ABA|RTN)\s*(?:number|no\.?|#)?\s*(?:is|:|#)?\s*)(?P<n>\d{9})\b")
_PIN = re.compile(r"\b(?:PIN|pin\s+(?:code|number))\s*(?:is|:|#)?\s*(?P<n>\d{4,8})\b")
_CVV = re.compile(r"(?i:\b(?:CVV2?|CVC2?|CID|security\s+code))\s*(?:is|:|#)?\s*(?P<n>\d{3,4})\b")
_EXPIRY = re.compile(
    r"(?i:\b(?:exp(?:iry|iration)?\.?(?:\s+date)?|valid\s+(?:thru|through|until)))\s*(?:is|:)?\s*(?P<n>(?:0[1-9]|1[0-2])\s?/\s?(?:\d{2}|20\d{2}))\b"
)
_PASSWORD = re.compile(r"(?i:\b(?:password|passwd|pwd|passcode)\s*(?:is|:|=)\s*)(?P<n>[^\s,;]{4,64})")
_USERNAME = re.compile(r"(?i:\b(?:user\s?name|user\s?id|login|handle)\s*(?:is|:|=)\s*)(?P<n>@?[A-Za-z0-9._-]{3,32})")
_AGE = re.compile(
    r"\b(?P<n>\d{1,3})(?:[- ]years?[- ]old\b|\s+(?:yrs?|years?)\s+of\s+age\b)|\b(?:aged?|age:)\s*(?P<m>\d{1,3})\b",
    re.IGNORECASE,
)
_PASSPORT = re.compile(r"(?i:passport\s*(?:number|no\.?|#)?\s*(?:is|:|#)?\s*)(?P<n>[A-Z0-9]{6,9})\b")
_LICENSE_PLATE = re.compile(
    r"(?i:(?:license|licence|registration|number)\s+plate\s*(?:number|no\.?)?\s*(?:is|:)?\s*)"
    r"(?P<n>[A-Z0-9][A-Z0-9 -]{2,8}[A-Z0-9])\b"
)
_VIN = re.compile(r"\b[A-HJ-NPR-Z0-9]{17}\b")

_PII_PRIORITY = {
    "EMAIL": 0,
    "URL": 1,
    "AWS_ACCESS_KEY": 2,
    "AWS_SECRET_KEY": 2,
    "INTERNATIONAL_BANK_ACCOUNT_NUMBER": 3,
    "CREDIT_DEBIT_NUMBER": 3,
    "SSN": 4,
    "IP_ADDRESS": 5,
    "MAC_ADDRESS": 5,
    "BANK_ROUTING": 6,
    "BANK_ACCOUNT_NUMBER": 6,
    "CREDIT_DEBIT_CVV": 6,
    "CREDIT_DEBIT_EXPIRY": 6,
    "PIN": 6,
    "PASSWORD": 6,
    "USERNAME": 6,
    "PASSPORT_NUMBER": 6,
    "LICENSE_PLATE": 6,
    "VEHICLE_IDENTIFICATION_NUMBER": 6,
    "PHONE": 7,
    "ADDRESS": 8,
    "AGE": 9,
    "DATE_TIME": 10,
    "NAME": 11,
}


def _luhn(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


#: Issuer prefixes and lengths of the card networks (Visa, Mastercard, Amex, Discover, Diners,
#: JCB, UnionPay).
_CARD_NETWORKS = re.compile(
    r"4(?:\d{12}|\d{15}|\d{18})|(?:5[1-5]\d{2}|222[1-9]|22[3-9]\d|2[3-6]\d{2}|27[01]\d|2720)\d{12}|3[47]\d{13}|"
    r"(?:6011|64[4-9]\d|65\d{2})\d{12,15}|3(?:0[0-5]|[68]\d)\d{11,16}|35(?:2[89]|[3-8]\d)\d{12,15}|62\d{14,17}"
)
_ABSOLUTE_DATE = re.compile(
    r"\d|January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Oct|Nov|Dec|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|noon|midnight"
)


def _card_number(candidate: str) -> bool:
    digits = re.sub(r"[ -]", "", candidate)
    if not _CARD_NETWORKS.fullmatch(digits):
        return False
    separators = set(re.findall(r"[ -]", candidate))
    if len(separators) > 1:
        return False
    if separators:
        groups = re.split(r"[ -]", candidate)
        if any(len(group) < 3 for group in groups):
            return False
    return _luhn(digits)


def _aba(digits: str) -> bool:
    weights = (3, 7, 1) * 3
    return sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 10 == 0 and digits != "000000000"


def _iban(candidate: str) -> bool:
    compact = candidate.replace(" ", "")
    if not 15 <= len(compact) <= 34:
        return False
    rearranged = compact[4:] + compact[:4]
    number = "".join(str(int(char, 36)) for char in rearranged)
    return int(number) % 97 == 1


def _vin(candidate: str) -> bool:
    if not (any(c.isdigit() for c in candidate) and any(c.isalpha() for c in candidate)):
        return False
    values = {
        **{str(d): d for d in range(10)},
        **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
        **dict(zip("JKLMN", range(1, 6), strict=True)),
        "P": 7,
        "R": 9,
        **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
    }
    weights = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
    total = sum(values[c] * w for c, w in zip(candidate, weights, strict=True)) % 11
    return candidate[8] == ("X" if total == 10 else str(total))


def _pii_spans(text: str, language: str) -> list[_Span]:
    spans: list[_Span] = []

    def add(begin: int, end: int, kind: str, score: float) -> None:
        spans.append(_Span(begin, end, kind, score))

    def add_group(
        pattern: re.Pattern[str], kind: str, score: float, check: Callable[[str], bool] | None = None
    ) -> None:
        for match in pattern.finditer(text):
            group = "n" if match.groupdict().get("n") else ("m" if match.groupdict().get("m") else 0)
            value = match.group(group)
            if check is None or check(value):
                add(*match.span(group), kind, score)

    for match in _EMAIL.finditer(text):
        add(match.start(), match.end(), "EMAIL", 0.9995)
    for begin, end in _url_spans(text):
        add(begin, end, "URL", 0.999)
    add_group(_AWS_ACCESS_KEY, "AWS_ACCESS_KEY", 0.999)
    add_group(_AWS_SECRET_KEY, "AWS_SECRET_KEY", 0.98)
    add_group(_IBAN, "INTERNATIONAL_BANK_ACCOUNT_NUMBER", 0.999, _iban)
    add_group(_CARD, "CREDIT_DEBIT_NUMBER", 0.9995, _card_number)
    add_group(_SSN, "SSN", 0.999)
    add_group(_SSN_CONTEXT, "SSN", 0.99)
    for match in _IPV4.finditer(text):
        before = text[max(0, match.start() - 24) : match.start()].lower()
        if not re.search(r"\b(?:version|ver\.?|v|release|build)(?:\s+(?:is|was|number|no\.?))?[\s:#]*$", before):
            add(match.start(), match.end(), "IP_ADDRESS", 0.999)
    for match in _IPV6.finditer(text):
        candidate = match.group().split("/")[0].split("%")[0]
        if sum(c in "0123456789abcdefABCDEF" for c in candidate) < 2:
            continue
        try:
            ipaddress.IPv6Address(candidate)
        except ValueError:
            continue
        add(match.start(), match.end(), "IP_ADDRESS", 0.999)
    add_group(_MAC, "MAC_ADDRESS", 0.99)
    add_group(_ROUTING, "BANK_ROUTING", 0.98, _aba)
    add_group(_BANK_ACCOUNT, "BANK_ACCOUNT_NUMBER", 0.95, lambda value: 6 <= len(re.sub(r"\D", "", value)) <= 17)
    add_group(_CVV, "CREDIT_DEBIT_CVV", 0.97)
    add_group(_EXPIRY, "CREDIT_DEBIT_EXPIRY", 0.97)
    add_group(_PIN, "PIN", 0.95)
    add_group(_PASSWORD, "PASSWORD", 0.95)
    add_group(_USERNAME, "USERNAME", 0.93)
    add_group(_PASSPORT, "PASSPORT_NUMBER", 0.93, lambda value: any(c.isdigit() for c in value))
    add_group(_LICENSE_PLATE, "LICENSE_PLATE", 0.9)
    add_group(_VIN, "VEHICLE_IDENTIFICATION_NUMBER", 0.97, _vin)
    add_group(_AGE, "AGE", 0.93, lambda value: 0 < int(value) < 130)
    for begin, end, score in _phone_spans(text, "ES" if language == "es" else "US"):
        add(begin, end, "PHONE", score)
    for span in _entity_spans(text, with_contacts=False):
        if span.type == "ADDRESS":
            add(span.begin, span.end, "ADDRESS", span.score)
        elif span.type == "DATE" and _ABSOLUTE_DATE.search(text, span.begin, span.end):
            add(span.begin, span.end, "DATE_TIME", span.score)  # not "today", "next month"
        elif span.type == "PERSON":
            add(span.begin, span.end, "NAME", span.score)
    return _resolve(spans, _PII_PRIORITY, _PII_PRIORITY)


# --- operations -----------------------------------------------------------------------


def detect_dominant_language(request: Json) -> Json:
    text = _text(request, "DetectDominantLanguage")
    return {"Languages": _languages(text)}


def detect_sentiment(request: Json) -> Json:
    text = _text(request, "DetectSentiment")
    _language(request, TEXT_LANGUAGES, "sentiment")
    return _sentiment(text)


def detect_key_phrases(request: Json) -> Json:
    text = _text(request, "DetectKeyPhrases")
    _language(request, TEXT_LANGUAGES, "key phrase")
    return {"KeyPhrases": _key_phrases(text)}


def detect_entities(request: Json) -> Json:
    if request.get("EndpointArn"):
        raise ComprehendError(
            "ResourceUnavailableException",
            f"The offline Comprehend engine of the local mode has no custom entity recognizer endpoint "
            f"{request['EndpointArn']}.",
        )
    if request.get("Bytes") is not None:
        if request.get("Text") is not None:
            raise ComprehendError("InvalidRequestException", "Specify either Text or Bytes, not both.")
        request = {**request, "Text": _plain_text_bytes(request["Bytes"])}
    text = _text(request, "DetectEntities")
    _language(request, TEXT_LANGUAGES, "entity")
    return {"Entities": _entities(text)}


def _plain_text_bytes(data: Any) -> str:
    if isinstance(data, str):  # the wire form: base64
        try:
            data = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError) as error:
            raise ComprehendError("InvalidRequestException", "Bytes is not valid base64.") from error
    if not isinstance(data, bytes | bytearray):
        raise _validation("Value at 'bytes' failed to satisfy constraint: Member must be a blob")
    try:
        text = bytes(data).decode("utf-8")
    except UnicodeDecodeError as error:
        raise ComprehendError(
            "InvalidRequestException",
            "The offline Comprehend engine of the local mode reads plain UTF-8 text in Bytes only, "
            "not PDF, Word or image files.",
        ) from error
    if "\x00" in text:
        raise ComprehendError(
            "InvalidRequestException",
            "The offline Comprehend engine of the local mode reads plain UTF-8 text in Bytes only.",
        )
    return text


def detect_pii_entities(request: Json) -> Json:
    text = _text(request, "DetectPiiEntities")
    language = _language(request, PII_LANGUAGES, "PII")
    return {
        "Entities": [
            {"Score": _score(span.score), "Type": span.type, "BeginOffset": span.begin, "EndOffset": span.end}
            for span in _pii_spans(text, language)
        ]
    }


def contains_pii_entities(request: Json) -> Json:
    text = _text(request, "ContainsPiiEntities")
    language = _language(request, PII_LANGUAGES, "PII")
    best: dict[str, float] = {}
    for span in _pii_spans(text, language):
        best[span.type] = max(best.get(span.type, 0.0), span.score)
    return {"Labels": [{"Name": name, "Score": _score(score)} for name, score in sorted(best.items())]}


def _batch(request: Json, analyse: Callable[[str], Json], supported: frozenset[str] | None, what: str) -> Json:
    texts = _text_list(request)
    if supported is not None:
        _language(request, supported, what)
    results: list[Json] = []
    errors: list[Json] = []
    for index, text in enumerate(texts):
        try:
            results.append({"Index": index, **analyse(text)})
        except ComprehendError as error:
            errors.append({"Index": index, "ErrorCode": error.code, "ErrorMessage": error.message})
        except Exception as error:  # one document's failure must not fail the others
            errors.append(
                {
                    "Index": index,
                    "ErrorCode": "INTERNAL_SERVER_ERROR",
                    "ErrorMessage": f"the offline engine failed: {error}",
                }
            )
    return {"ResultList": results, "ErrorList": errors}


def batch_detect_dominant_language(request: Json) -> Json:
    return _batch(request, lambda text: {"Languages": _languages(text)}, None, "language")


def batch_detect_sentiment(request: Json) -> Json:
    return _batch(request, _sentiment, TEXT_LANGUAGES, "sentiment")


def batch_detect_key_phrases(request: Json) -> Json:
    return _batch(request, lambda text: {"KeyPhrases": _key_phrases(text)}, TEXT_LANGUAGES, "key phrase")


def batch_detect_entities(request: Json) -> Json:
    return _batch(request, lambda text: {"Entities": _entities(text)}, TEXT_LANGUAGES, "entity")


OPERATIONS: dict[str, Callable[[Json], Json]] = {
    "DetectDominantLanguage": detect_dominant_language,
    "DetectSentiment": detect_sentiment,
    "DetectKeyPhrases": detect_key_phrases,
    "DetectEntities": detect_entities,
    "DetectPiiEntities": detect_pii_entities,
    "ContainsPiiEntities": contains_pii_entities,
    "BatchDetectDominantLanguage": batch_detect_dominant_language,
    "BatchDetectSentiment": batch_detect_sentiment,
    "BatchDetectKeyPhrases": batch_detect_key_phrases,
    "BatchDetectEntities": batch_detect_entities,
}
