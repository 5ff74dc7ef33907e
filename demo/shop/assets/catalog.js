/**
 * The demo shop's catalogue: eight products with German and English texts, prices in EUR and inline SVG illustrations.
 * Plain data and one lookup; imports nothing. Never loads an external asset.
 */

/** Currency of every price. */
export const CURRENCY = 'EUR';

const svg = (bg, body) =>
  `<svg viewBox="0 0 200 150" xmlns="http://www.w3.org/2000/svg" role="img" aria-hidden="true" focusable="false"><rect width="200" height="150" fill="${bg}"/>${body}</svg>`;

const bag = (color, label, band) =>
  `<ellipse cx="100" cy="134" rx="46" ry="6" fill="#000" opacity=".08"/>
   <path d="M64 36 L136 36 L142 132 L58 132 Z" fill="${color}"/>
   <path d="M64 36 L136 36 L132 48 L68 48 Z" fill="#000" opacity=".12"/>
   <rect x="70" y="66" width="60" height="38" rx="4" fill="#fffaf2"/>
   <rect x="70" y="66" width="60" height="8" rx="2" fill="${band}"/>
   <text x="100" y="93" text-anchor="middle" font-family="Georgia,serif" font-size="11" fill="#2b2118">${label}</text>
   <circle cx="100" cy="116" r="5" fill="#fffaf2" opacity=".7"/>`;

/**
 * The products, in the order the list shows them.
 * @type {{ id: string, sku: string, category: string, price: number, name: {de: string, en: string},
 *          description: {de: string, en: string}, svg: string }[]}
 */
export const PRODUCTS = [
  {
    id: 'espresso-nordlicht',
    sku: 'BB-ESP-500',
    category: 'coffee',
    price: 14.9,
    name: { de: 'Espresso „Nordlicht“ 500 g', en: 'Espresso “Nordlicht” 500 g' },
    description: {
      de: 'Schokoladig, nussig, wenig Säure. Langsam im Trommelröster geröstet – ideal für Siebträger und Herdkanne.',
      en: 'Chocolatey, nutty, low acidity. Slow drum-roasted – ideal for espresso machines and moka pots.',
    },
    svg: svg('#f3e3d3', bag('#3b2a20', 'Nordlicht', '#d9a441')),
  },
  {
    id: 'filter-morgenrot',
    sku: 'BB-FIL-500',
    category: 'coffee',
    price: 12.5,
    name: { de: 'Filterkaffee „Morgenrot“ 500 g', en: 'Filter coffee “Morgenrot” 500 g' },
    description: {
      de: 'Helle Röstung aus Äthiopien mit Noten von Beeren und Jasmin. Für Handfilter und French Press.',
      en: 'Light roast from Ethiopia with notes of berries and jasmine. For pour-over and French press.',
    },
    svg: svg('#fbe4dc', bag('#b4532a', 'Morgenrot', '#f2c1a8')),
  },
  {
    id: 'becher-steingut',
    sku: 'BB-MUG-01',
    category: 'tableware',
    price: 16,
    name: { de: 'Steingut-Becher, handglasiert', en: 'Stoneware mug, hand-glazed' },
    description: {
      de: '300 ml, spülmaschinenfest, jedes Stück ein Unikat aus einer kleinen Töpferei in der Lausitz.',
      en: '300 ml, dishwasher-safe, each one unique, from a small pottery in Lusatia.',
    },
    svg: svg('#e4ece6',
      `<ellipse cx="96" cy="130" rx="44" ry="6" fill="#000" opacity=".08"/>
       <path d="M132 64 q26 0 26 22 q0 22 -26 22" fill="none" stroke="#5b7d6a" stroke-width="10"/>
       <path d="M56 42 h80 v78 q0 10 -10 10 h-60 q-10 0 -10 -10 z" fill="#5b7d6a"/>
       <path d="M56 42 h80 v22 q-20 8 -40 0 t-40 0 z" fill="#8fb09c"/>
       <ellipse cx="96" cy="42" rx="40" ry="6" fill="#3e5a4a"/>
       <path d="M84 24 q6 -8 0 -16 M100 26 q6 -8 0 -16 M116 24 q6 -8 0 -16" stroke="#5b7d6a" stroke-width="3" fill="none" opacity=".5" stroke-linecap="round"/>`),
  },
  {
    id: 'handfilter-porzellan',
    sku: 'BB-DRP-02',
    category: 'brewing',
    price: 24,
    name: { de: 'Porzellan-Handfilter Gr. 2', en: 'Porcelain pour-over dripper, size 2' },
    description: {
      de: 'Weißes Porzellan aus Thüringen. Gleichmäßiger Durchlauf dank Rillen und einem Auslass.',
      en: 'White porcelain from Thuringia. Even extraction thanks to ribs and a single outlet.',
    },
    svg: svg('#e6e9f2',
      `<ellipse cx="100" cy="134" rx="50" ry="6" fill="#000" opacity=".08"/>
       <rect x="62" y="96" width="76" height="34" rx="8" fill="#c9a27e"/>
       <rect x="62" y="96" width="76" height="10" fill="#a67c59"/>
       <path d="M54 34 h92 l-24 52 h-44 z" fill="#fdfdfd" stroke="#c8cfdf" stroke-width="2"/>
       <rect x="70" y="84" width="60" height="10" rx="3" fill="#fdfdfd" stroke="#c8cfdf" stroke-width="2"/>
       <path d="M80 44 l8 34 M100 44 v34 M120 44 l-8 34" stroke="#dde2ee" stroke-width="3"/>
       <path d="M150 56 q14 6 0 18" stroke="#c8cfdf" stroke-width="6" fill="none"/>`),
  },
  {
    id: 'wasserkocher-schwan',
    sku: 'BB-KET-10',
    category: 'brewing',
    price: 59,
    name: { de: 'Schwanenhals-Wasserkocher 1 l', en: 'Gooseneck kettle 1 l' },
    description: {
      de: 'Präziser Ausgießer für gleichmäßiges Aufgießen, Edelstahl, für alle Herdarten inkl. Induktion.',
      en: 'Precise spout for an even pour, stainless steel, for every hob including induction.',
    },
    svg: svg('#efe7f3',
      `<ellipse cx="100" cy="134" rx="52" ry="6" fill="#000" opacity=".08"/>
       <path d="M58 128 q-6 -58 42 -64 q48 6 42 64 z" fill="#3d3b45"/>
       <path d="M66 128 q-2 -40 20 -52" stroke="#6a6775" stroke-width="5" fill="none" opacity=".7" stroke-linecap="round"/>
       <path d="M60 106 q-24 -10 -28 -40 l-8 -6" stroke="#3d3b45" stroke-width="7" fill="none" stroke-linecap="round"/>
       <path d="M138 76 q26 6 22 34 q-2 10 -16 12" stroke="#c08a4a" stroke-width="8" fill="none" stroke-linecap="round"/>
       <rect x="88" y="54" width="24" height="10" rx="4" fill="#c08a4a"/>`),
  },
  {
    id: 'handmuehle-kegel',
    sku: 'BB-GRN-38',
    category: 'brewing',
    price: 79,
    name: { de: 'Handmühle mit Stahl-Kegelmahlwerk', en: 'Hand grinder with steel conical burrs' },
    description: {
      de: '38-mm-Kegelmahlwerk, stufenlos einstellbar von Espresso bis French Press. Gehäuse aus Aluminium.',
      en: '38 mm conical burrs, stepless from espresso to French press. Aluminium body.',
    },
    svg: svg('#f1eee4',
      `<ellipse cx="100" cy="134" rx="34" ry="6" fill="#000" opacity=".08"/>
       <rect x="78" y="50" width="44" height="82" rx="10" fill="#8a8f96"/>
       <rect x="78" y="62" width="44" height="6" fill="#6f747b"/>
       <rect x="78" y="112" width="44" height="6" fill="#6f747b"/>
       <rect x="92" y="34" width="16" height="16" rx="3" fill="#5c6066"/>
       <path d="M100 36 h52" stroke="#3b2a20" stroke-width="6" stroke-linecap="round"/>
       <circle cx="152" cy="36" r="9" fill="#7a4b2f"/>`),
  },
  {
    id: 'tee-sencha',
    sku: 'BB-TEA-100',
    category: 'tea',
    price: 9.5,
    name: { de: 'Bio-Sencha 100 g', en: 'Organic sencha 100 g' },
    description: {
      de: 'Grüner Tee aus Kagoshima, frisch und grasig. In der wiederverschließbaren Dose.',
      en: 'Green tea from Kagoshima, fresh and grassy. In a resealable tin.',
    },
    svg: svg('#e3efdc',
      `<ellipse cx="100" cy="134" rx="38" ry="6" fill="#000" opacity=".08"/>
       <rect x="66" y="44" width="68" height="88" rx="6" fill="#6b8f4e"/>
       <rect x="62" y="36" width="76" height="16" rx="5" fill="#4d6b36"/>
       <circle cx="100" cy="90" r="20" fill="#f5f1e3"/>
       <path d="M92 96 q0 -18 16 -22 q2 16 -16 22 z" fill="#6b8f4e"/>
       <path d="M92 96 l10 -12" stroke="#f5f1e3" stroke-width="1.5"/>`),
  },
  {
    id: 'beutel-baumwolle',
    sku: 'BB-BAG-01',
    category: 'accessories',
    price: 12,
    name: { de: 'Einkaufsbeutel aus Bio-Baumwolle', en: 'Organic cotton tote bag' },
    description: {
      de: 'Robuster Beutel mit langen Henkeln, bedruckt mit unserer Bohne. Fair produziert.',
      en: 'Sturdy tote with long handles, printed with our bean. Fairly made.',
    },
    svg: svg('#f6ecd9',
      `<ellipse cx="100" cy="134" rx="44" ry="6" fill="#000" opacity=".08"/>
       <path d="M80 58 q0 -40 20 -40 q20 0 20 40" stroke="#d8c7a8" stroke-width="6" fill="none"/>
       <path d="M58 56 h84 l6 76 h-96 z" fill="#efe2c8"/>
       <ellipse cx="100" cy="94" rx="14" ry="20" fill="#3b2a20" transform="rotate(20 100 94)"/>
       <path d="M96 76 q10 18 0 36" stroke="#efe2c8" stroke-width="3" fill="none" transform="rotate(20 100 94)"/>`),
  },
];

/** Category labels per language. */
export const CATEGORIES = {
  coffee: { de: 'Kaffee', en: 'Coffee' },
  tea: { de: 'Tee', en: 'Tea' },
  brewing: { de: 'Zubereitung', en: 'Brewing' },
  tableware: { de: 'Geschirr', en: 'Tableware' },
  accessories: { de: 'Zubehör', en: 'Accessories' },
};

/** The product with `id`, or undefined. */
export const findProduct = (id) => PRODUCTS.find((p) => p.id === id);

/** Coupons the demo accepts: code → fraction off the subtotal. */
export const COUPONS = { WILLKOMMEN10: 0.1, BOHNE5: 0.05 };
