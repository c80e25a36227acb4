## French. Machine translation, to be reviewed by a native speaker: `meta-review = machine` marks it.
## metronode: every word people read on the dashboard, /artefacts and the dashboard's error
## page, in French. Placeables { $x } are filled by the page; numbers arrive formatted
## for the language.

language-name = Français
choose-language = Langue
title = Inclusion numérique métropolitaine
skip-to-content = Aller aux chiffres

## The picker.
indicator = Indicateur
breakdown = Ventiler par
series = Série
period = Période
show = Afficher
latest-comparable = dernière période comparable
period-partial = { $period } (partiel : { $cities })
headline-series = principale

## Sections.
metro-value = Valeur métropolitaine
cities = Villes côte à côte
gap = Attention aux écarts
trend = Évolution
coverage = Couverture
provenance = Provenance : origine de chaque chiffre
federation = État de la fédération
no-data = Aucune publication de cet indicateur n’est encore disponible ici.

## Values.
withheld = non diffusé
withheld-why = non diffusé ({ $why })
low-reliability = fiabilité faible
no-margin = erreur d’échantillonnage non publiée ; aucun bruit ajouté
interval = { $value } (intervalle à 95 % : de { $low } à { $high })
interval-clipped = { $value } (intervalle à 95 % : de { $low } à { $high } ; ramené au domaine de validité)
clipped = { $value } (ramené au domaine de validité)
unit-percent = { $value } %
unit-per-100 = { $value } pour 100
unit-per-10000 = { $value } pour 10 000
percentage-points = { $value } points de pourcentage
cities-included = { $count ->
    [one] { $count } ville incluse
    [many] { $count } villes incluses
   *[other] { $count } villes incluses
}
newer-partial = { $period } n’est publié pour l’instant que par { $cities }, et n’est pas comparable avec { $current } :
show-partial = afficher { $period } (partiel)
by-dimension = { $indicator } par { $dimension }

## Tables.
col-city = ville
col-value = valeur
col-cities-included = villes incluses
col-withheld-in = non diffusé pour
col-period = période
col-cities = villes
col-origin = origine
col-log-record = enregistrement du journal
col-record-hash = empreinte de l’enregistrement
col-signer = signataire
col-method = méthode
col-member = membre
col-reachable = joignable
col-last-sync = dernière synchronisation
col-records = enregistrements
col-lag = retard
col-flags = signalements
log-record-help = Un enregistrement du journal est une entrée signée du journal public d’une ville, alimenté uniquement par ajout ; son numéro est sa position dans ce journal.

## The gap between groups.
no-gap-groups = Pas assez de groupes publiés pour mesurer un écart.
tied = { $names } (ex aequo)
list-and = { $first } et { $second }
gap-all-tied = Les { $count } valeurs sont égales à { $value } : aucun écart.
gap-indistinct = Valeur la plus haute : { $highest } ({ $high }) ; la plus basse : { $lowest } ({ $low }). L’écart de { $difference } est compris dans sa marge d’erreur à 95 % (± { $margin }) : non significatif au seuil de 95 %, aucun n’est donc désigné comme le meilleur ou le pire.
gap-neutral = Valeur la plus haute : { $highest } ({ $high }) ; la plus basse : { $lowest } ({ $low }) ; écart de { $difference }. Pour cet indicateur, aucun sens n’est préférable : aucun n’est donc désigné comme le meilleur ou le pire.
gap-ranked = { $served ->
    [yes] Le mieux desservi : { $best } ({ $bestvalue }) ; le moins bien desservi : { $worst } ({ $worstvalue }).
   *[no] Le meilleur : { $best } ({ $bestvalue }) ; le pire : { $worst } ({ $worstvalue }).
} Écart de { $difference } ; la valeur la plus basse vaut { $ratio } fois la plus haute.
gap-ranked-margin = { $served ->
    [yes] Le mieux desservi : { $best } ({ $bestvalue }) ; le moins bien desservi : { $worst } ({ $worstvalue }).
   *[no] Le meilleur : { $best } ({ $bestvalue }) ; le pire : { $worst } ({ $worstvalue }).
} Écart de { $difference }, au-delà de sa marge d’erreur à 95 % (± { $margin }) ; la valeur la plus basse vaut { $ratio } fois la plus haute.

## Trend.
trend-open-points = Les points creux portent sur d’autres villes que { $period } ; ils ne sont donc pas reliés : { $others }.

## Coverage.
included = Incluses : { $cities }.
missing = Manquantes : { $cities }.
none = aucune
not-yet-published = { $city } : pas encore publié pour { $period } (dernière publication : { $latest })
stale = { $city } : non à jour, { $reason }
stale-since = { $city } : non à jour, { $reason }, dernière synchronisation il y a { $seconds } s
flag-included = { $city } : incluse selon le paramétrage de ce nœud, bien que son journal contienne des preuves de { $evidence }
flag-excluded = { $city } : exclue de toutes les valeurs, car son journal contient des preuves de { $evidence }
suppressed-cells = { $count } cellules masquées dans les publications utilisées (non diffusées, jamais imputées).
post-processing = Valeurs affichées des publications bruitées : rapport des sommes publiées, ramené dans son domaine de validité (de 0 à 100 % pour une part, positif ou nul pour un taux), son intervalle à 95 % étant borné de la même manière ; il s’agit d’un post-traitement des données publiées, sans coût supplémentaire pour la confidentialité. Les numérateurs et les dénominateurs sont affichés tels que publiés.

## Federation health.
this-node = ce nœud
seconds-ago = il y a { $seconds } s
never = jamais
yes = oui
no = non

## Footer.
footer-data = Données : publications signées vérifiées par ce nœud ; tous les journaux aux formats C2SP sous
footer-export = Exporter ce qui est affiché :
proof-bundle = paquet de preuves
footer-verify = à vérifier hors ligne avec
machine-translation = Cette traduction a été réalisée automatiquement et n’a pas encore été relue.

## The error page.
not-answered = Requête sans réponse
choose-indicator = Choisissez un indicateur
choose-breakdown = Choisissez une ventilation
choose-series = Choisissez une série
choose-period = Choisissez une période
back = Retour au tableau de bord

## /artefacts.
artefacts-title = Documents de politique publique
indicators-link = indicateurs
filter-city = Ville
filter-type = Type
filter-rights-area = Domaine de droits
filter-language = Langue
all = tous
library = Bibliothèque
col-type = type
col-title = titre
col-languages = langues
col-document-status = statut du document
col-version = version dans le journal
col-verification = vérification
col-document = document
signed-verified = signé par { $city } (enregistrement { $seq }), SHA-256 { $hash }… vérifié
signed-not-fetched = signé par { $city } (enregistrement { $seq }) ; document pas encore récupéré
download = télécharger { $type } ({ $bytes } octets)
policy-matrix = Matrice des politiques
matrix-note = Versions en vigueur (ni remplacées ni retirées) de chaque type, par ville.
n-current = { $count } en vigueur
state-current = en vigueur
state-superseded = remplacé
state-withdrawn = retiré
type-digital_rights_charter = charte des droits numériques
type-policy = politique
type-algorithm_register_entry = entrée du registre des algorithmes
type-dpia = DPIA (analyse d’impact relative à la protection des données)
type-procurement_clause_set = ensemble de clauses pour les marchés publics
type-open_data_policy = politique d’ouverture des données
type-capacity_building_module = module de renforcement des capacités
rights-privacy_safety_security_protection = vie privée, sûreté, sécurité et protection
rights-public_engagement_participation = engagement et participation du public
rights-public_goods_open_infrastructure = biens publics et infrastructures ouvertes
rights-inclusion_equality_equity = inclusion, égalité et équité
rights-freedom_autonomy_control_self_determination = liberté, autonomie, maîtrise et autodétermination
rights-transparency_accountability = transparence et redevabilité
rights-diversity_of_experience = diversité des expériences
status-draft = projet
status-consultation = consultation
status-adopted = adopté
status-in_force = en vigueur
status-superseded = remplacé
status-repealed = abrogé
status-retired = retiré

## La carte des quartiers.
map = Carte par quartier
map-none = Aucune ville n’a encore publié les limites de ses quartiers.
map-title = { $indicator } par quartier
map-better = Les quartiers plus foncés sont mieux servis ; les quartiers hachurés ne sont pas diffusés.
map-higher = Les quartiers plus foncés ont des valeurs plus élevées ; les quartiers hachurés ne sont pas diffusés.
map-withheld = non diffusé
map-no-data = pas de données
map-class = de { $low } à { $high }
map-unreadable = { $city } : les limites de quartiers publiées n’ont pas pu être lues ({ $error }).
col-district = quartier
col-name = nom
type-district_boundaries = limites des quartiers (GeoJSON)

## Connexion.
sign-in = Se connecter
sign-in-heading = Jeton d’analyste
sign-in-intro = Le tableau de bord et l’API de ce nœud sont ouverts à ses analystes. Collez le jeton que le service des données de la ville vous a remis ; le navigateur garde une session pendant { $hours } heures (ou jusqu’à la déconnexion), et le jeton lui-même n’est pas conservé.
token = Jeton
signed-in-as = Connecté en tant que { $name }.
continue = Continuer
sign-out = Se déconnecter
form-expired = Le formulaire avait expiré ou venait d’un autre site. Veuillez réessayer.
token-unknown = Ce jeton n’est pas connu de ce nœud.
account = Connecté en tant que { $name } · se déconnecter

## Column names of the plain CSV export with ?lang= (SDMX-CSV keeps its codes).
csv-indicator = indicateur
csv-period = période
csv-series = série
csv-level = niveau
csv-code = code
csv-value = valeur
csv-unit = unité
csv-margin_of_error_95 = marge d’erreur (95 %)
csv-interval_low_95 = borne inférieure (95 %)
csv-interval_high_95 = borne supérieure (95 %)
csv-numerator = numérateur
csv-denominator = dénominateur
csv-status = statut
csv-note = note
