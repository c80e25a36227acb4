## Irish. Machine translation, to be reviewed by a native speaker: `meta-review = machine` marks it.
## metronode: every word people read on the dashboard, /artefacts and the dashboard's error
## page, in Irish. Placeables { $x } are filled by the page; numbers arrive formatted
## for the language.

language-name = Gaeilge
choose-language = Teanga
title = Cuimsiú digiteach sa limistéar cathrach
skip-to-content = Léim chuig na figiúirí

## The picker.
indicator = Táscaire
breakdown = Miondealaigh de réir
series = Sraith
period = Tréimhse
show = Taispeáin
latest-comparable = an ceann inchomparáide is déanaí
period-partial = { $period } (páirteach: { $cities })
headline-series = príomhshraith

## Sections.
metro-value = Luach an limistéir cathrach
cities = Na cathracha taobh le taobh
gap = Aird ar an mbearna
trend = Treocht
coverage = Cumhdach
provenance = Bunús: cá as ar tháinig gach uimhir
federation = Sláinte na cónaidhme
no-data = Níl aon eisiúint den táscaire seo coinnithe anseo fós.

## Values.
withheld = coinnithe siar
withheld-why = coinnithe siar ({ $why })
low-reliability = iontaofacht íseal
no-margin = earráid samplála gan foilsiú; níor cuireadh torann leis
interval = { $value } (eatramh 95%: { $low } go { $high })
interval-clipped = { $value } (eatramh 95%: { $low } go { $high }; srianta don raon bailí)
clipped = { $value } (srianta don raon bailí)
unit-percent = { $value }%
unit-per-100 = { $value } in aghaidh 100
unit-per-10000 = { $value } in aghaidh 10,000
percentage-points = { $value } pointe céatadáin
cities-included = { $count ->
    [one] { $count } chathair san áireamh
    [two] { $count } chathair san áireamh
    [few] { $count } chathair san áireamh
    [many] { $count } gcathair san áireamh
   *[other] { $count } cathracha san áireamh
}
newer-partial = Níl { $period } foilsithe go fóill ach ag { $cities }, agus níl sé inchomparáide le { $current }:
show-partial = taispeáin { $period } (páirteach)
by-dimension = { $indicator } de réir { $dimension }

## Tables.
col-city = cathair
col-value = luach
col-cities-included = cathracha san áireamh
col-withheld-in = coinnithe siar i
col-period = tréimhse
col-cities = cathracha
col-origin = bunús
col-log-record = taifead loga
col-record-hash = haiseáil an taifid
col-signer = sínitheoir
col-method = modh
col-member = ball
col-reachable = insroichte
col-last-sync = sioncrónú deireanach
col-records = taifid
col-lag = moill
col-flags = bratacha
log-record-help = Is éard is taifead loga ann ná iontráil shínithe amháin i loga poiblí cathrach nach féidir ach cur leis; is é a uimhir a shuíomh sa loga sin.

## The gap between groups.
no-gap-groups = Níl dóthain grúpaí foilsithe ann chun bearna a ríomh.
tied = { $names } (comhionann)
list-and = { $first } agus { $second }
gap-all-tied = Iad uile ({ $count }) ag { $value }: níl aon bhearna ann.
gap-indistinct = An ceann is airde: { $highest } ({ $high }); an ceann is ísle: { $lowest } ({ $low }). Tá an difríocht { $difference } laistigh dá corrlach earráide 95% (± { $margin }): ní féidir idirdhealú a dhéanamh ag 95%, mar sin ní thugtar an ceann is fearr ná an ceann is measa ar aon cheann acu.
gap-neutral = An ceann is airde: { $highest } ({ $high }); an ceann is ísle: { $lowest } ({ $low }); difríocht { $difference }. Níl treo ar bith níos fearr don táscaire seo, mar sin ní thugtar an ceann is fearr ná an ceann is measa ar aon cheann acu.
gap-ranked = { $served ->
    [yes] An freastal is fearr: { $best } ({ $bestvalue }); an freastal is measa: { $worst } ({ $worstvalue }).
   *[no] An ceann is fearr: { $best } ({ $bestvalue }); an ceann is measa: { $worst } ({ $worstvalue }).
} Bearna { $difference }; tá an ceann is ísle { $ratio } oiread an chinn is airde.
gap-ranked-margin = { $served ->
    [yes] An freastal is fearr: { $best } ({ $bestvalue }); an freastal is measa: { $worst } ({ $worstvalue }).
   *[no] An ceann is fearr: { $best } ({ $bestvalue }); an ceann is measa: { $worst } ({ $worstvalue }).
} Bearna { $difference }, lasmuigh dá corrlach earráide 95% (± { $margin }); tá an ceann is ísle { $ratio } oiread an chinn is airde.

## Trend.
trend-open-points = Baineann na pointí oscailte le cathracha seachas cathracha { $period }, mar sin níl siad nasctha: { $others }.

## Coverage.
included = San áireamh: { $cities }.
missing = Ar iarraidh: { $cities }.
none = ceann ar bith
not-yet-published = { $city }: gan foilsiú fós do { $period } (an ceann is déanaí: { $latest })
stale = { $city }: as dáta, { $reason }
stale-since = { $city }: as dáta, { $reason }, sioncrónú deireanach { $seconds } s ó shin
flag-included = { $city }: san áireamh de réir shocrú an nóid seo, cé go bhfuil fianaise ar { $evidence } ina loga
flag-excluded = { $city }: fágtha as gach luach: tá fianaise ar { $evidence } ina loga
suppressed-cells = Cealla faoi chois sna heisiúintí a úsáideadh: { $count } (coinnithe siar, níor líonadh riamh iad).
post-processing = Luachanna taispeánta d'eisiúintí a bhfuil torann iontu: cóimheas na suimeanna foilsithe, bogtha isteach ina raon bailí (0 go 100% do sciar, neamhdhiúltach do ráta) agus a eatramh 95% srianta mar an gcéanna; iarphróiseáil ar a foilsíodh é seo, gan aon chostas breise ó thaobh príobháideachais de. Taispeántar na huimhreoirí agus na hainmneoirí mar a eisíodh iad.

## Federation health.
this-node = an nód seo
seconds-ago = { $seconds } s ó shin
never = riamh
yes = tá
no = níl

## Footer.
footer-data = Sonraí: eisiúintí sínithe arna bhfíorú ag an nód seo; gach loga i bhformáidí C2SP faoi
footer-export = Easpórtáil a bhfuil á thaispeáint:
proof-bundle = beart cruthúnais
footer-verify = seiceáil as líne é le
machine-translation = Is le meaisín a rinneadh an t-aistriúchán seo agus níl sé athbhreithnithe fós.

## The error page.
not-answered = Gan freagra
choose-indicator = Roghnaigh táscaire
choose-breakdown = Roghnaigh miondealú
choose-series = Roghnaigh sraith
choose-period = Roghnaigh tréimhse
back = Ar ais chuig an deais

## /artefacts.
artefacts-title = Déantáin bheartais
indicators-link = táscairí
filter-city = Cathair
filter-type = Cineál
filter-rights-area = Réimse cearta
filter-language = Teanga
all = uile
library = Leabharlann
col-type = cineál
col-title = teideal
col-languages = teangacha
col-document-status = stádas an doiciméid
col-version = leagan sa loga
col-verification = fíorú
col-document = doiciméad
signed-verified = sínithe ag { $city } (taifead { $seq }), SHA-256 { $hash }… fíoraithe
signed-not-fetched = sínithe ag { $city } (taifead { $seq }); níor faigheadh an doiciméad fós
download = íoslódáil { $type } ({ $bytes } beart)
policy-matrix = Maitrís bheartais
matrix-note = Leaganacha reatha (nár cuireadh ceann eile ina n-ionad agus nár tarraingíodh siar) de gach cineál, in aghaidh na cathrach.
n-current = reatha: { $count }
state-current = reatha
state-superseded = ionadaithe
state-withdrawn = tarraingthe siar
type-digital_rights_charter = cairt cearta digiteacha
type-policy = beartas
type-algorithm_register_entry = iontráil i gclár algartam
type-dpia = DPIA (measúnú tionchair ar chosaint sonraí)
type-procurement_clause_set = tacar clásal soláthair
type-open_data_policy = beartas sonraí oscailte
type-capacity_building_module = modúl forbartha acmhainne
rights-privacy_safety_security_protection = príobháideachas, sábháilteacht, slándáil agus cosaint
rights-public_engagement_participation = teagmháil leis an bpobal agus rannpháirtíocht
rights-public_goods_open_infrastructure = earraí poiblí agus bonneagar oscailte
rights-inclusion_equality_equity = cuimsiú, comhionannas agus cothromas
rights-freedom_autonomy_control_self_determination = saoirse, neamhspleáchas, smacht agus féinchinneadh
rights-transparency_accountability = trédhearcacht agus cuntasacht
rights-diversity_of_experience = éagsúlacht taithí
status-draft = dréacht
status-consultation = comhairliúchán
status-adopted = glactha
status-in_force = i bhfeidhm
status-superseded = ionadaithe
status-repealed = aisghairthe
status-retired = scortha

## Léarscáil na gceantar.
map = Léarscáil de réir ceantair
map-none = Níl teorainneacha a cheantar foilsithe ag aon chathair fós.
map-title = { $indicator } de réir ceantair
map-better = Is fearr a fhreastalaítear ar na ceantair is dorcha; coinnítear siar na ceantair línithe.
map-higher = Tá luachanna níos airde ag na ceantair is dorcha; coinnítear siar na ceantair línithe.
map-withheld = coinnithe siar
map-no-data = gan sonraí
map-class = { $low } go { $high }
map-unreadable = { $city }: níorbh fhéidir teorainneacha foilsithe na gceantar a léamh ({ $error }).
col-district = ceantar
col-name = ainm
type-district_boundaries = teorainneacha ceantar (GeoJSON)

## Síniú isteach.
sign-in = Sínigh isteach
sign-in-heading = Comhartha anailísí
sign-in-intro = Tá painéal agus API an nóid seo oscailte dá anailísithe. Greamaigh an comhartha a thug oifig sonraí na cathrach duit; coinníonn an brabhsálaí seisiún ar feadh { $hours } uair an chloig (nó go síneoidh tú amach), agus ní stóráiltear an comhartha féin.
token = Comhartha
signed-in-as = Sínithe isteach mar { $name }.
continue = Lean ar aghaidh
sign-out = Sínigh amach
form-expired = Bhí an fhoirm as feidhm nó tháinig sí ó shuíomh eile. Bain triail eile as.
token-unknown = Ní aithníonn an nód seo an comhartha sin.
account = Sínithe isteach mar { $name } · sínigh amach

## Column names of the plain CSV export with ?lang= (SDMX-CSV keeps its codes).
csv-indicator = táscaire
csv-period = tréimhse
csv-series = sraith
csv-level = leibhéal
csv-code = cód
csv-value = luach
csv-unit = aonad
csv-margin_of_error_95 = corrlach earráide (95%)
csv-interval_low_95 = íosteorainn (95%)
csv-interval_high_95 = uasteorainn (95%)
csv-numerator = uimhreoir
csv-denominator = ainmneoir
csv-status = stádas
csv-note = nóta
