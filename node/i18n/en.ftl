## metronode: every word people read on the dashboard, /artefacts and the dashboard's error
## page, in English. The other languages translate every message of this file (a test fails
## when one is missing). Placeables { $x } are filled by the page; numbers arrive formatted
## for the language.

language-name = English
choose-language = Language
title = Metropolitan digital inclusion
skip-to-content = Skip to the figures

## The picker.
indicator = Indicator
breakdown = Break down by
series = Series
period = Period
show = Show
latest-comparable = latest comparable
period-partial = { $period } (partial: { $cities })
headline-series = headline

## Sections.
metro-value = Metropolitan value
cities = Cities side by side
gap = Mind the gap
trend = Trend
coverage = Coverage
provenance = Provenance: where each number came from
federation = Federation health
no-data = No release of this indicator is held here yet.

## Values.
withheld = withheld
withheld-why = withheld ({ $why })
low-reliability = low reliability
no-margin = sampling error not published; no noise added
interval = { $value } (95% interval { $low } to { $high })
interval-clipped = { $value } (95% interval { $low } to { $high }; clipped to the valid range)
clipped = { $value } (clipped to the valid range)
unit-percent = { $value }%
unit-per-100 = { $value } per 100
unit-per-10000 = { $value } per 10,000
percentage-points = { $value } percentage points
cities-included = { $count ->
    [one] { $count } city included
   *[other] { $count } cities included
}
newer-partial = { $period } is published so far by { $cities } only, not comparable with { $current }:
show-partial = show { $period } (partial)
by-dimension = { $indicator } by { $dimension }

## Tables.
col-city = city
col-value = value
col-cities-included = cities included
col-withheld-in = withheld in
col-period = period
col-cities = cities
col-origin = origin
col-log-record = log record
col-record-hash = record hash
col-signer = signer
col-method = method
col-member = member
col-reachable = reachable
col-last-sync = last sync
col-records = records
col-lag = lag
col-flags = flags
log-record-help = A log record is one signed entry of a city's public, append-only log; its number is its position there.

## The gap between groups.
no-gap-groups = Not enough published groups for a gap.
tied = { $names } (tied)
list-and = { $first } and { $second }
gap-all-tied = All { $count } at { $value }: no gap.
gap-indistinct = Highest: { $highest } ({ $high }); lowest: { $lowest } ({ $low }). The difference of { $difference } is within its 95% margin of error (± { $margin }): not distinguishable at 95%, so none is called best or worst.
gap-neutral = Highest: { $highest } ({ $high }); lowest: { $lowest } ({ $low }); a difference of { $difference }. Neither direction is better for this indicator, so none is called best or worst.
gap-ranked = { $served ->
    [yes] Best served: { $best } ({ $bestvalue }); worst served: { $worst } ({ $worstvalue }).
   *[no] Best: { $best } ({ $bestvalue }); worst: { $worst } ({ $worstvalue }).
} Gap { $difference }; the lowest is { $ratio } times the highest.
gap-ranked-margin = { $served ->
    [yes] Best served: { $best } ({ $bestvalue }); worst served: { $worst } ({ $worstvalue }).
   *[no] Best: { $best } ({ $bestvalue }); worst: { $worst } ({ $worstvalue }).
} Gap { $difference }, beyond its 95% margin of error (± { $margin }); the lowest is { $ratio } times the highest.

## Trend.
trend-open-points = Open points cover other cities than { $period }, so they are not joined: { $others }.

## Coverage.
included = Included: { $cities }.
missing = Missing: { $cities }.
none = none
not-yet-published = { $city }: not yet published for { $period } (latest: { $latest })
stale = { $city }: stale, { $reason }
stale-since = { $city }: stale, { $reason }, last sync { $seconds } s ago
flag-included = { $city }: included by this node's setting although its log holds evidence of { $evidence }
flag-excluded = { $city }: left out of every value: its log holds evidence of { $evidence }
suppressed-cells = { $count } suppressed cells in the releases used (withheld, never filled in).
post-processing = Shown values of releases with noise: the ratio of the published sums, moved into its valid range (0 to 100% for a share, non-negative for a rate) with its 95% interval clipped likewise; post-processing of what was published, at no further privacy cost. The numerators and denominators are shown as released.

## Federation health.
this-node = this node
seconds-ago = { $seconds } s ago
never = never
yes = yes
no = no

## Footer.
footer-data = Data: signed releases verified at this node; every log in the C2SP formats under
footer-export = Export what is shown:
proof-bundle = proof bundle
footer-verify = check it offline with
machine-translation = This translation was made by machine and has not been reviewed yet.

## The error page.
not-answered = Not answered
choose-indicator = Choose an indicator
choose-breakdown = Choose a breakdown
choose-series = Choose a series
choose-period = Choose a period
back = Back to the dashboard

## /artefacts.
artefacts-title = Policy artefacts
indicators-link = indicators
filter-city = City
filter-type = Type
filter-rights-area = Rights area
filter-language = Language
all = all
library = Library
col-type = type
col-title = title
col-languages = languages
col-document-status = document status
col-version = version in the log
col-verification = verification
col-document = document
signed-verified = signed by { $city } (record { $seq }), SHA-256 { $hash }… verified
signed-not-fetched = signed by { $city } (record { $seq }); document not fetched yet
download = download { $type } ({ $bytes } bytes)
policy-matrix = Policy matrix
matrix-note = Current versions (neither superseded nor withdrawn) of each type, per city.
n-current = { $count } current
state-current = current
state-superseded = superseded
state-withdrawn = withdrawn
type-digital_rights_charter = digital rights charter
type-policy = policy
type-algorithm_register_entry = algorithm register entry
type-dpia = DPIA (data protection impact assessment)
type-procurement_clause_set = procurement clause set
type-open_data_policy = open data policy
type-capacity_building_module = capacity building module
rights-privacy_safety_security_protection = privacy, safety, security and protection
rights-public_engagement_participation = public engagement and participation
rights-public_goods_open_infrastructure = public goods and open infrastructure
rights-inclusion_equality_equity = inclusion, equality and equity
rights-freedom_autonomy_control_self_determination = freedom, autonomy, control and self-determination
rights-transparency_accountability = transparency and accountability
rights-diversity_of_experience = diversity of experience
status-draft = draft
status-consultation = consultation
status-adopted = adopted
status-in_force = in force
status-superseded = superseded
status-repealed = repealed
status-retired = retired

## The district map.
map = District map
map-none = No city has published its district boundaries yet.
map-title = { $indicator } by district
map-better = Darker districts are better served; hatched ones are withheld.
map-higher = Darker districts have higher values; hatched ones are withheld.
map-withheld = withheld
map-no-data = no data
map-class = { $low } to { $high }
map-unreadable = { $city }: its published district boundaries could not be read ({ $error }).
col-district = district
col-name = name
type-district_boundaries = district boundaries (GeoJSON)

## Sign-in.
sign-in = Sign in
sign-in-heading = Analyst token
sign-in-intro = This node's dashboard and API are open to its analysts. Paste the token the city's data office gave you; the browser keeps a session for { $hours } hours (or until you sign out), and the token itself is not stored.
token = Token
signed-in-as = Signed in as { $name }.
continue = Continue
sign-out = Sign out
form-expired = The form had expired or came from another site. Please try again.
token-unknown = That token is not one this node knows.
account = Signed in as { $name } · sign out

## Column names of the plain CSV export with ?lang= (SDMX-CSV keeps its codes).
csv-indicator = indicator
csv-period = period
csv-series = series
csv-level = level
csv-code = code
csv-value = value
csv-unit = unit
csv-margin_of_error_95 = margin of error (95%)
csv-interval_low_95 = interval low (95%)
csv-interval_high_95 = interval high (95%)
csv-numerator = numerator
csv-denominator = denominator
csv-status = status
csv-note = note
