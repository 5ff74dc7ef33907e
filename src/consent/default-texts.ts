/**
 * The shipped consent texts: German (default) and English (fallback), informing per R8, plus the label and description
 * of each built-in category. Plain data, imports nothing but types. Lives outside the core bundle: the script-tag
 * build ships it in the banner chunk, loaded when a banner shows or a proof record needs the hash of these texts.
 */
import type { ConsentTexts } from '../schema/consent-config';

/** Texts per locale and, per built-in category, its label and description per locale. */
export interface DefaultTexts {
  texts: Record<string, ConsentTexts>;
  categories: Record<string, { label: Record<string, string>; description: Record<string, string> }>;
}

/**
 * The default texts; a shop replaces them by passing its own consent configuration.
 * @example
 * DEFAULT_TEXTS.texts.de.rejectAll // → 'Alle ablehnen'
 */
export const DEFAULT_TEXTS: DefaultTexts = {
  categories: {
    necessary: {
      label: { de: 'Notwendig', en: 'Necessary' },
      description: {
        de: 'Speichert nur Ihre Datenschutz-Entscheidung, damit wir Sie nicht erneut fragen. Ohne Tracking.',
        en: 'Stores only your privacy choice so we do not ask again. No tracking.',
      },
    },
    analytics: {
      label: { de: 'Statistik', en: 'Analytics' },
      description: {
        de: 'Zählt Seitenaufrufe und Einkäufe, damit wir den Shop verbessern können. Speichert eine zufällige Geräte-ID auf Ihrem Gerät.',
        en: 'Counts page views and purchases so we can improve the shop. Stores a random device ID on your device.',
      },
    },
    marketing: {
      label: { de: 'Marketing', en: 'Marketing' },
      description: {
        de: 'Misst, über welche Werbung oder Kampagne Sie zu uns gekommen sind, und ermöglicht passende Werbung auf anderen Websites.',
        en: 'Measures which ad or campaign brought you here and enables relevant ads on other websites.',
      },
    },
    personalization: {
      label: { de: 'Personalisierung', en: 'Personalisation' },
      description: {
        de: 'Merkt sich Ihre Interessen über Geräte und Kanäle hinweg, um Ihnen passende Produkte zu zeigen.',
        en: 'Remembers your interests across devices and channels to show you relevant products.',
      },
    },
  },
  texts: {
    de: {
      title: 'Ihre Privatsphäre',
      description:
        'Mit Ihrer Einwilligung speichern wir Informationen auf Ihrem Gerät und werten Ihre Nutzung aus. Sie entscheiden, wofür. Ohne Einwilligung funktioniert der Shop vollständig.',
      purposes: 'Zwecke:',
      controller: 'Verantwortlich ist der Betreiber dieses Shops (siehe Impressum).',
      storageDuration: 'Ihre Entscheidung und die Daten auf Ihrem Gerät speichern wir höchstens 6 Monate.',
      thirdParties:
        'Empfänger sind wir und unsere Auftragsverarbeiter; bei Marketing zusätzlich Werbepartner, die in der Datenschutzerklärung genannt sind.',
      transferOutsideEea:
        'Bei Marketing können Daten in Länder außerhalb des EWR (z. B. USA) übermittelt werden; Details in der Datenschutzerklärung.',
      withdrawal: 'Sie können Ihre Einwilligung jederzeit über „Datenschutz-Einstellungen“ widerrufen oder ändern.',
      acceptAll: 'Alle akzeptieren',
      rejectAll: 'Alle ablehnen',
      settings: 'Einstellungen',
      preferencesTitle: 'Datenschutz-Einstellungen',
      preferencesDescription: 'Wählen Sie, welchen Zwecken Sie zustimmen. Sie können Ihre Wahl jederzeit ändern.',
      save: 'Auswahl speichern',
      close: 'Schließen',
      alwaysOn: 'Immer aktiv',
      saved: 'Einstellungen gespeichert',
      signalNotice:
        'Ihr Browser sendet ein Opt-out-Signal. Wir haben daher alle nicht notwendigen Zwecke abgelehnt. Sie können das in den Einstellungen ändern.',
      privacyPolicy: 'Datenschutzerklärung',
      imprint: 'Impressum',
    },
    en: {
      title: 'Your privacy',
      description:
        'With your consent we store information on your device and analyse your use. You decide for which purposes. The shop works fully without consent.',
      purposes: 'Purposes:',
      controller: 'The controller is the operator of this shop (see imprint).',
      storageDuration: 'We keep your choice and the data on your device for at most 6 months.',
      thirdParties:
        'Recipients are us and our processors; for marketing also the advertising partners named in the privacy policy.',
      transferOutsideEea:
        'For marketing, data may be transferred to countries outside the EEA (e.g. the USA); see the privacy policy.',
      withdrawal: 'You can withdraw or change your consent at any time via "Privacy settings".',
      acceptAll: 'Accept all',
      rejectAll: 'Reject all',
      settings: 'Settings',
      preferencesTitle: 'Privacy settings',
      preferencesDescription: 'Choose the purposes you agree to. You can change your choice at any time.',
      save: 'Save choices',
      close: 'Close',
      alwaysOn: 'Always on',
      saved: 'Settings saved',
      signalNotice:
        'Your browser sends an opt-out signal, so we have rejected all non-essential purposes. You can change this in the settings.',
      privacyPolicy: 'Privacy policy',
      imprint: 'Imprint',
    },
  },
};
