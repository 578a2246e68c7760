//! A seeded synthetic world with ground truth, for tests and demos.
//!
//! Items have a latent genre and mood that their text reveals; users have latent genre interests
//! and a preferred mood. Some behaviour is planted off-log, and most of it follows a cross-user
//! pattern: fans of genre g also consume their partner genre g+1, mostly off the platform (a
//! few percent of the logged behaviour) and like it. The log barely shows that taste, so a
//! ranker can only learn it from the inferred behaviours of a reasoner that saw other users'
//! off-log events: the benefit GBR should recover.

use serde::{Deserialize, Serialize};

use crate::data::{Dataset, Interaction, Item, KnowledgeGraph, Triple};
use crate::error::{Error, Result};
use crate::rng::SeededRng;

const GENRES: [(&str, [&str; 6], &str); 12] = [
    (
        "Space",
        ["Orbit", "Nebula", "Starship", "Comet", "Galaxy", "Moonbase"],
        "a voyage beyond the stars",
    ),
    (
        "Western",
        ["Canyon", "Outlaw", "Saloon", "Frontier", "Rider", "Mesa"],
        "a gunfight on the frontier",
    ),
    (
        "Romance",
        ["Heart", "Kiss", "Letter", "Wedding", "Promise", "Rose"],
        "two lovers kept apart",
    ),
    (
        "Horror",
        ["Crypt", "Shadow", "Curse", "Phantom", "Coffin", "Howl"],
        "a house haunted by the dead",
    ),
    (
        "Animation",
        ["Bunny", "Toybox", "Dragonling", "Puppet", "Balloon", "Cub"],
        "a cartoon adventure for children",
    ),
    (
        "Crime",
        [
            "Heist",
            "Detective",
            "Mobster",
            "Alibi",
            "Vault",
            "Informant",
        ],
        "a detective chasing a gang",
    ),
    (
        "War",
        ["Trench", "Battalion", "Bomber", "Siege", "Medal", "Bunker"],
        "soldiers fighting a great war",
    ),
    (
        "Documentary",
        [
            "Chronicle",
            "Record",
            "Archive",
            "Witness",
            "Survey",
            "Truth",
        ],
        "real events told by those who lived them",
    ),
    (
        "Musical",
        [
            "Melody", "Chorus", "Ballet", "Overture", "Serenade", "Tango",
        ],
        "singers and dancers on a stage",
    ),
    (
        "Sports",
        [
            "Champion", "Stadium", "Rookie", "Marathon", "Goal", "Underdog",
        ],
        "a team fighting for the title",
    ),
    (
        "Fantasy",
        ["Wizard", "Kingdom", "Sword", "Elf", "Spell", "Throne"],
        "a quest through an enchanted realm",
    ),
    (
        "Mystery",
        ["Riddle", "Clue", "Secret", "Enigma", "Puzzle", "Cipher"],
        "a puzzle that no one can solve",
    ),
];
/// How many latent moods the world's items have (`GroundTruth::item_mood` is below it).
pub const NUM_MOODS: usize = MOODS.len();

const MOODS: [(&str, [&str; 3]); 4] = [
    ("dark", ["Bleak", "Grim", "Midnight"]),
    ("uplifting", ["Bright", "Joyful", "Golden"]),
    ("tense", ["Deadly", "Desperate", "Final"]),
    ("whimsical", ["Curious", "Silly", "Dizzy"]),
];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SyntheticConfig {
    pub users: usize,
    pub items: usize,
    /// Latent genres, 2 to 12.
    pub genres: usize,
    pub min_events: usize,
    pub max_events: usize,
    /// Share of each user's behaviour that is planted off-log.
    pub off_log_share: f64,
    /// Share of logged behaviour in the partner genre, exactly: the user's other logged draws
    /// skip it.
    pub partner_on_log: f64,
    /// Share of off-log behaviour in the partner genre (the rest follows the user's interests).
    pub partner_off_log: f64,
    /// How much more a user likes an item of their partner genre.
    pub partner_bonus: f64,
    /// Standard deviation of the rating noise.
    pub rating_noise: f64,
    pub seed: u64,
}

/// The generator's default partner shares, frozen since docs/results/preregistration.md: a
/// study varies them with flags, never by changing these.
pub const PARTNER_ON_LOG: f64 = 0.03;
pub const PARTNER_OFF_LOG: f64 = 0.8;

impl Default for SyntheticConfig {
    fn default() -> Self {
        Self {
            users: 300,
            items: 400,
            genres: 8,
            min_events: 20,
            max_events: 60,
            off_log_share: 0.3,
            partner_on_log: PARTNER_ON_LOG,
            partner_off_log: PARTNER_OFF_LOG,
            partner_bonus: 2.0,
            rating_noise: 0.5,
            seed: 42,
        }
    }
}

/// What the generator knows and a model should recover.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroundTruth {
    pub item_genre: Vec<u32>,
    pub item_mood: Vec<u32>,
    /// Per user, a distribution over latent genres.
    pub user_interests: Vec<Vec<f64>>,
    pub user_mood: Vec<u32>,
    /// The genre each user consumes off the platform (partner of their top genre).
    pub off_platform_genre: Vec<u32>,
    /// Aligned with `Dataset::interactions`.
    pub off_log: Vec<bool>,
}

impl GroundTruth {
    /// Whether `item` is of `user`'s partner genre (false for an unknown user or item).
    pub fn in_partner_genre(&self, user: u32, item: u32) -> bool {
        match (
            self.off_platform_genre.get(user as usize),
            self.item_genre.get(item as usize),
        ) {
            (Some(partner), Some(genre)) => partner == genre,
            _ => false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyntheticWorld {
    pub config: SyntheticConfig,
    pub dataset: Dataset,
    pub truth: GroundTruth,
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

impl SyntheticWorld {
    /// The world as the plain-CSV format reads it: (`items.csv`, `interactions.csv`), what
    /// `reaseq data synth` writes.
    pub fn to_csv(&self) -> Result<(String, String)> {
        use std::fmt::Write;
        let ds = &self.dataset;
        let fmt = |e: std::fmt::Error| Error::Config(format!("writing CSV: {e}"));
        let mut items = String::from("item_id,title,genres,year,description\n");
        for it in &ds.items {
            let genres: Vec<&str> = it.genres.iter().map(|&g| ds.genres.name(g)).collect();
            writeln!(
                items,
                "{},{},{},{},{}",
                csv_field(&it.id),
                csv_field(&it.title),
                csv_field(&genres.join("|")),
                it.year.map(|y| y.to_string()).unwrap_or_default(),
                csv_field(it.description.as_deref().unwrap_or(""))
            )
            .map_err(fmt)?;
        }
        let mut inter = String::from("user_id,item_id,timestamp,rating\n");
        for x in &ds.interactions {
            let r = x
                .rating
                .ok_or_else(|| Error::Config("synthetic interaction without rating".into()))?;
            let (user, item) = (ds.users.name(x.user), &ds.items[x.item as usize].id);
            writeln!(inter, "{user},{item},{},{r}", x.timestamp).map_err(fmt)?;
        }
        Ok((items, inter))
    }
}

impl SyntheticConfig {
    fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(Error::Config(m));
        if !(2..=GENRES.len()).contains(&self.genres) {
            return bad(format!(
                "genres must be 2 to {}, got {}",
                GENRES.len(),
                self.genres
            ));
        }
        if self.users == 0 || self.users > 1_000_000 {
            return bad(format!("users must be 1 to 1000000, got {}", self.users));
        }
        if self.items < self.genres * 2 || self.items > 1_000_000 {
            return bad(format!(
                "items must be {} to 1000000, got {}",
                self.genres * 2,
                self.items
            ));
        }
        if self.min_events < 3
            || self.min_events > self.max_events
            || self.max_events > self.items / 2
        {
            return bad(format!(
                "events per user must satisfy 3 <= min ({}) <= max ({}) <= items/2 ({})",
                self.min_events,
                self.max_events,
                self.items / 2
            ));
        }
        if !(0.0..0.9).contains(&self.off_log_share) {
            return bad(format!(
                "off_log_share must be in [0, 0.9), got {}",
                self.off_log_share
            ));
        }
        if !(0.0..=1.0).contains(&self.partner_off_log) {
            return bad(format!(
                "partner_off_log must be in [0, 1], got {}",
                self.partner_off_log
            ));
        }
        if !(0.0..=0.5).contains(&self.partner_on_log) {
            return bad(format!(
                "partner_on_log must be in [0, 0.5], got {}",
                self.partner_on_log
            ));
        }
        for (name, v) in [
            ("partner_bonus", self.partner_bonus),
            ("rating_noise", self.rating_noise),
        ] {
            if !(0.0..=5.0).contains(&v) {
                return bad(format!("{name} must be in [0, 5], got {v}"));
            }
        }
        Ok(())
    }
}

impl SyntheticWorld {
    pub fn generate(cfg: &SyntheticConfig) -> Result<Self> {
        cfg.validate()?;
        let mut rng = SeededRng::new(cfg.seed);
        let mut ds = Dataset::new("synthetic");
        let genre_ids: Vec<u32> = GENRES[..cfg.genres]
            .iter()
            .map(|g| ds.genres.intern(g.0))
            .collect();

        // Items: latent genre and mood, rendered as title and description.
        let mut item_genre = Vec::with_capacity(cfg.items);
        let mut item_mood = Vec::with_capacity(cfg.items);
        let mut by_genre: Vec<Vec<u32>> = vec![Vec::new(); cfg.genres];
        let mut graph = KnowledgeGraph::default();
        let directed_by = graph.relations.intern("film.film.directed_by");
        let subjects = graph.relations.intern("film.film.subjects");
        for i in 0..cfg.items {
            let g = if i < cfg.genres * 2 {
                i % cfg.genres
            } else {
                rng.below(cfg.genres)
            };
            let m = rng.below(MOODS.len());
            let (gname, nouns, phrase) = GENRES[g];
            let (mname, adjs) = MOODS[m];
            let noun = nouns[rng.below(nouns.len())];
            let title = match rng.below(3) {
                0 => format!("The {} {}", adjs[rng.below(adjs.len())], noun),
                1 => format!("{} of the {}", noun, nouns[rng.below(nouns.len())]),
                _ => format!("{} {}", adjs[rng.below(adjs.len())], noun),
            };
            let mut genres = vec![genre_ids[g]];
            if rng.chance(0.25) {
                let extra = genre_ids[rng.below(cfg.genres)];
                if extra != genre_ids[g] {
                    genres.push(extra);
                }
            }
            let description = format!("A {mname} {} film: {phrase}.", gname.to_lowercase());
            let index = ds
                .add_item(Item {
                    id: format!("i{i}"),
                    title,
                    year: Some(1950 + rng.below(71) as i32),
                    genres,
                    description: Some(description),
                })
                .ok_or_else(|| Error::Config("duplicate synthetic item id".into()))?;
            let entity = graph.entities.intern(&format!("e{i}"));
            let mut link = |relation: u32, tail: String| {
                let tail = graph.entities.intern(&tail);
                graph.triples.push(Triple {
                    head: entity,
                    relation,
                    tail,
                });
            };
            link(directed_by, format!("director_{gname}_{}", rng.below(5)));
            // Two subjects from the genre's pool and one from the mood's, so items by one
            // director still differ.
            link(subjects, format!("subject_{gname}_{}", rng.below(8)));
            link(subjects, format!("subject_{gname}_{}", rng.below(8)));
            link(subjects, format!("subject_{mname}_{}", rng.below(3)));
            graph.item_entity.push(Some(entity));
            item_genre.push(g as u32);
            item_mood.push(m as u32);
            by_genre[g].push(index);
        }
        // Popularity within a genre: Zipf over a seeded order.
        let pop: Vec<Vec<f64>> = by_genre
            .iter_mut()
            .map(|items| {
                rng.shuffle(items);
                (0..items.len())
                    .map(|r| 1.0 / libm::pow(r as f64 + 1.0, 0.8))
                    .collect()
            })
            .collect();

        // Users and their behaviour.
        let mut user_interests = Vec::with_capacity(cfg.users);
        let mut user_mood = Vec::with_capacity(cfg.users);
        let mut off_platform = Vec::with_capacity(cfg.users);
        let mut off_log = Vec::new();
        for u in 0..cfg.users {
            let user = ds.users.intern(&format!("u{u}"));
            let mut interests = vec![0.0; cfg.genres];
            // One favourite genre clearly ahead of up to two minor ones, so the log tells which
            // genre a user is a fan of (and so which partner genre they have).
            let favourites = 1 + rng.below(3);
            for k in 0..favourites {
                let weight = if k == 0 {
                    1.5 + rng.unit()
                } else {
                    0.25 + 0.5 * rng.unit()
                };
                interests[rng.below(cfg.genres)] += weight;
            }
            let total: f64 = interests.iter().sum();
            interests.iter_mut().for_each(|w| *w /= total);
            let top = (0..cfg.genres)
                .max_by(|&a, &b| interests[a].total_cmp(&interests[b]).then(b.cmp(&a)))
                .unwrap_or(0);
            let partner = (top + 1) % cfg.genres;
            // Logged behaviour reaches the partner genre only through `partner_on_log`.
            let mut logged_interests = interests.clone();
            logged_interests[partner] = 0.0;
            let mood = rng.below(MOODS.len()) as u32;
            let n = cfg.min_events + rng.below(cfg.max_events - cfg.min_events + 1);
            let mut t = 1_600_000_000i64 + (u as i64) * 977;
            let mut seen = std::collections::HashSet::new();
            for _ in 0..n {
                let hidden = rng.chance(cfg.off_log_share);
                let g = if hidden && rng.chance(cfg.partner_off_log)
                    || !hidden && rng.chance(cfg.partner_on_log)
                {
                    partner
                } else if hidden {
                    if rng.chance(0.85) {
                        rng.weighted(&interests)
                    } else {
                        rng.below(cfg.genres)
                    }
                } else if rng.chance(0.85) {
                    rng.weighted(&logged_interests)
                } else {
                    // Any genre but the partner.
                    (partner + 1 + rng.below(cfg.genres - 1)) % cfg.genres
                };
                let mut item = by_genre[g][rng.weighted(&pop[g])];
                for _ in 0..20 {
                    if !seen.contains(&item) {
                        break;
                    }
                    item = by_genre[g][rng.weighted(&pop[g])];
                }
                if !seen.insert(item) {
                    continue;
                }
                let likes = 2.4
                    + 1.3 * f64::from(item_mood[item as usize] == mood)
                    + 1.0 * f64::from(g == top)
                    + cfg.partner_bonus * f64::from(g == partner)
                    + cfg.rating_noise * rng.gaussian();
                t += 600 + rng.below(86_400) as i64;
                ds.interactions.push(Interaction {
                    user,
                    item,
                    timestamp: t,
                    rating: Some(likes.round().clamp(1.0, 5.0) as f32),
                    label: None,
                });
                off_log.push(hidden);
            }
            user_interests.push(interests);
            user_mood.push(mood);
            off_platform.push(partner as u32);
        }
        ds.graph = Some(graph);
        Ok(Self {
            config: cfg.clone(),
            dataset: ds,
            truth: GroundTruth {
                item_genre,
                item_mood,
                user_interests,
                user_mood,
                off_platform_genre: off_platform,
                off_log,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::LabelPolicy;

    #[test]
    fn same_seed_same_world_other_seed_other_world() {
        let cfg = SyntheticConfig {
            users: 50,
            items: 80,
            min_events: 5,
            max_events: 30,
            ..SyntheticConfig::default()
        };
        let a = SyntheticWorld::generate(&cfg).unwrap();
        let b = SyntheticWorld::generate(&cfg).unwrap();
        assert_eq!(a, b);
        let c = SyntheticWorld::generate(&SyntheticConfig { seed: 43, ..cfg }).unwrap();
        assert_ne!(a.dataset.fingerprint(), c.dataset.fingerprint());
    }

    #[test]
    fn world_is_well_formed_and_labels_are_mixed() {
        let w = SyntheticWorld::generate(&SyntheticConfig::default()).unwrap();
        let ds = &w.dataset;
        assert_eq!(ds.num_users(), 300);
        assert_eq!(ds.num_items(), 400);
        assert_eq!(w.truth.off_log.len(), ds.interactions.len());
        let share =
            w.truth.off_log.iter().filter(|&&h| h).count() as f64 / ds.interactions.len() as f64;
        assert!((share - 0.3).abs() < 0.03, "{share}");
        let p = LabelPolicy::default();
        let pos = ds.interactions.iter().filter(|x| p.label(x)).count() as f64
            / ds.interactions.len() as f64;
        assert!((0.2..0.8).contains(&pos), "{pos}");
        // The text reveals the latent genre.
        for (it, &g) in ds.items.iter().zip(&w.truth.item_genre) {
            let name = GENRES[g as usize].0.to_lowercase();
            assert!(it.description.as_deref().unwrap_or("").contains(&name));
        }
    }

    #[test]
    fn the_partner_genre_lives_off_log_and_is_liked() {
        let w = SyntheticWorld::generate(&SyntheticConfig::default()).unwrap();
        let ds = &w.dataset;
        let p = LabelPolicy::default();
        // (events, partner-genre events, liked partner-genre events), logged and off-log.
        let mut n = [[0f64; 3]; 2];
        for (x, &hidden) in ds.interactions.iter().zip(&w.truth.off_log) {
            let partner = w.truth.in_partner_genre(x.user, x.item);
            let c = &mut n[usize::from(hidden)];
            c[0] += 1.0;
            c[1] += f64::from(u8::from(partner));
            c[2] += f64::from(u8::from(partner && p.label(x)));
        }
        let (logged, off) = (n[0][1] / n[0][0], n[1][1] / n[1][0]);
        // Exactly `partner_on_log` of it, not more through the user's other draws.
        assert!(
            (0.02..0.04).contains(&logged),
            "partner share of logged events {logged}"
        );
        // `partner_off_log` of it, and a little more through the user's interest draws.
        assert!(
            (0.78..0.9).contains(&off),
            "partner share of off-log events {off}"
        );
        let liked = (n[0][2] + n[1][2]) / (n[0][1] + n[1][1]);
        assert!(liked > 0.8, "partner items liked {liked}");
    }

    #[test]
    fn the_log_tells_which_genre_a_user_is_a_fan_of() {
        let w = SyntheticWorld::generate(&SyntheticConfig::default()).unwrap();
        let genres = w.config.genres;
        let mut counts = vec![vec![0usize; genres]; w.dataset.num_users()];
        for (x, &hidden) in w.dataset.interactions.iter().zip(&w.truth.off_log) {
            if !hidden {
                counts[x.user as usize][w.truth.item_genre[x.item as usize] as usize] += 1;
            }
        }
        // The partner genre follows the most logged genre, as a reasoner has to infer it.
        let right = counts
            .iter()
            .zip(&w.truth.off_platform_genre)
            .filter(|(c, &partner)| {
                let most = (0..genres).max_by_key(|&g| c[g]).unwrap_or(0);
                (most + 1) % genres == partner as usize
            })
            .count();
        assert!(
            right * 100 >= 95 * counts.len(),
            "{right} of {}",
            counts.len()
        );
    }

    #[test]
    fn without_partner_on_log_the_log_never_shows_the_partner_genre() {
        let w = SyntheticWorld::generate(&SyntheticConfig {
            partner_on_log: 0.0,
            ..SyntheticConfig::default()
        })
        .unwrap();
        let partner = |x: &Interaction| w.truth.in_partner_genre(x.user, x.item);
        let xs = &w.dataset.interactions;
        let logged = xs
            .iter()
            .zip(&w.truth.off_log)
            .filter(|(x, &h)| !h && partner(x));
        assert_eq!(logged.count(), 0);
        assert!(xs
            .iter()
            .zip(&w.truth.off_log)
            .any(|(x, &h)| h && partner(x)));
    }

    #[test]
    fn bad_config_is_an_error() {
        let cfg = SyntheticConfig {
            genres: 40,
            ..SyntheticConfig::default()
        };
        assert!(SyntheticWorld::generate(&cfg).is_err());
    }
}
