// Every string the chat page shows, in English and in French; the browser's language chooses (French for
// fr, fr-FR, fr-CA...; English otherwise). `t(key, ...values)` fills {0}, {1}... in order; elements carry
// data-i18n (their text), data-i18n-placeholder and data-i18n-aria-label, filled by `translate`.
"use strict";

(() => {
  const STRINGS = {
    en: {
      skip: "Skip to the question", menu: "Conversations and documents", key: "API key",
      keyLabel: "API key (only if the server asks for one)", conversations: "Conversations", new: "New",
      documents: "Documents", drop: "Drop PDFs and images here, or", choose: "choose files",
      tags: "Tags for the upload", upload: "Upload", uploadN: "Upload {0} file(s)", uploads: "uploads",
      indexed: "indexed documents", newConversation: "New conversation",
      empty: "Ask about your documents. Answers cite the pages they come from; follow-up questions keep the conversation's context.",
      notice: "Answers here are quoted from the pages, not generated.", earlier: "Show earlier messages",
      results: "search results", mode: "Mode", ask: "Ask", search: "Search", question: "Question", send: "Send",
      stop: "Stop", scopeTitle: "Limit this conversation", scopeDocuments: "Documents (none ticked: all)",
      scopeTags: "Tags (documents with any of them)", save: "Save", cancel: "Cancel", zoomIn: "Zoom in",
      zoomOut: "Zoom out", pageImage: "the page", previous: "Previous page", next: "Next page", close: "Close",
      unreachable: "cannot reach the PageSight server",
      needKey: "The server asks for an API key: enter it under \"API key\".",
      noConversations: "None yet: ask a question.", cannotList: "Cannot list conversations: {0}",
      rename: "Rename", renameOf: "Rename {0}", newName: "New name", delete: "Delete", deleteOf: "Delete {0}",
      confirmDelete: "Delete the conversation \"{0}\"?", gone: "That conversation is gone.",
      cannotOpen: "Cannot open the conversation: {0}", nDocuments: "{0} documents", tagsScope: "tags {0}",
      scope: "Scope: {0}", allDocuments: "all documents", docPages: "{0} ({1} pages)", noDocuments: "No documents yet.",
      source: "Source {0}: {1}, page {2}", citedPages: "cited pages",
      cropLabel: "{0}, page {1}: {2} cited region(s)", openPage: "Open {0}, page {1}", pageOf: "{0}, page {1}",
      abstained: "The pages found do not answer this question.",
      unsupported: "Not borne out by the page it cites: \"{0}\"", youAsked: "You asked: ",
      searchedAs: "Searched as: {0}", stopped: "Stopped.", failed: "The answer failed: {0}",
      searching: "Searching the pages…", answering: "Reading the pages found…",
      attachPicture: "Ask with a picture", removePicture: "Remove the picture", pictureAttached: "the picture asked",
      pictureAsked: "(a picture)", readingPicture: "Reading the picture…", pictureFor: "Pages the picture shows",
      pictureNothing: "The picture matches no page of these documents.",
      notAPicture: "Not a picture: choose a PNG, JPEG, WebP or TIFF image.",
      pictureTooLarge: "The picture is {0} MB; the most is {1} MB.",
      pagesFor: "Pages for \"{0}\"", noPage: "No page matches.",
      absentPages: "Not in these documents: {0}. The pages below are only the nearest to the words.", foundBy: "found by {0}; score {1}",
      openPageShort: "Open page", searchFailed: "The search failed: {0}",
      queued: "Your question is sent when the answer before it has finished.",
      searchPlaceholder: "Search the pages (Enter to search)",
      askPlaceholder: "Ask a question (Enter to send, Shift+Enter for a new line)",
      pageOfPages: "{0}, page {1} of {2}", cannotShow: "Cannot show the page: {0}",
      docMeta: "{0} page(s){1}", view: "View", viewOf: "View {0}", confirmDeleteDoc: "Delete {0}?",
      noDocumentsYet: "No documents yet: upload some.", cannotListDocs: "Cannot list documents: {0}",
      uploading: "uploading", progressOf: "{0} progress", cancelOf: "Cancel the upload of {0}",
      uploadFailed: "failed: {0}", cancelled: "cancelled", reading: "reading pages", unreadable: "could not be read",
      doneStatus: "{0}, {1} pages", pageProgress: "page {0} of {1}", chooseFirst: "Choose files to upload first.",
      st_ingested: "ingested", st_replaced: "replaced", st_unchanged: "unchanged",
    },
    fr: {
      skip: "Aller à la question", menu: "Conversations et documents", key: "Clé d'API",
      keyLabel: "Clé d'API (seulement si le serveur en demande une)", conversations: "Conversations", new: "Nouvelle",
      documents: "Documents", drop: "Déposez ici des PDF et des images, ou", choose: "choisissez des fichiers",
      tags: "Étiquettes de l'envoi", upload: "Envoyer", uploadN: "Envoyer {0} fichier(s)", uploads: "envois",
      indexed: "documents indexés", newConversation: "Nouvelle conversation",
      empty: "Posez une question sur vos documents. Les réponses citent les pages d'où elles viennent ; les questions de suite gardent le contexte de la conversation.",
      notice: "Les réponses sont citées des pages, non générées.", earlier: "Afficher les messages précédents",
      results: "résultats de recherche", mode: "Mode", ask: "Demander", search: "Rechercher", question: "Question",
      send: "Envoyer", stop: "Arrêter", scopeTitle: "Limiter cette conversation",
      scopeDocuments: "Documents (aucun coché : tous)", scopeTags: "Étiquettes (documents portant l'une d'elles)",
      save: "Enregistrer", cancel: "Annuler", zoomIn: "Agrandir", zoomOut: "Réduire", pageImage: "la page", previous: "Page précédente",
      next: "Page suivante", close: "Fermer",
      unreachable: "impossible de joindre le serveur PageSight",
      needKey: "Le serveur demande une clé d'API : saisissez-la sous « Clé d'API ».",
      noConversations: "Aucune pour l'instant : posez une question.",
      cannotList: "Impossible de lister les conversations : {0}", rename: "Renommer", renameOf: "Renommer {0}",
      newName: "Nouveau nom", delete: "Supprimer", deleteOf: "Supprimer {0}",
      confirmDelete: "Supprimer la conversation « {0} » ?", gone: "Cette conversation n'existe plus.",
      cannotOpen: "Impossible d'ouvrir la conversation : {0}", nDocuments: "{0} documents", tagsScope: "étiquettes {0}",
      scope: "Portée : {0}", allDocuments: "tous les documents", docPages: "{0} ({1} pages)",
      noDocuments: "Aucun document pour l'instant.", source: "Source {0} : {1}, page {2}", citedPages: "pages citées",
      cropLabel: "{0}, page {1} : {2} zone(s) citée(s)", openPage: "Ouvrir {0}, page {1}", pageOf: "{0}, page {1}",
      abstained: "Les pages trouvées ne répondent pas à cette question.",
      unsupported: "Non confirmé par la page citée : « {0} »", youAsked: "Vous avez demandé : ",
      searchedAs: "Recherché comme : {0}", stopped: "Arrêté.", failed: "La réponse a échoué : {0}",
      searching: "Recherche dans les pages…", answering: "Lecture des pages trouvées…",
      attachPicture: "Demander avec une image", removePicture: "Retirer l'image", pictureAttached: "l'image envoyée",
      pictureAsked: "(une image)", readingPicture: "Lecture de l'image…", pictureFor: "Pages que montre l'image",
      pictureNothing: "L'image ne correspond à aucune page de ces documents.",
      notAPicture: "Ce n'est pas une image : choisissez une image PNG, JPEG, WebP ou TIFF.",
      pictureTooLarge: "L'image fait {0} Mo ; le maximum est de {1} Mo.",
      pagesFor: "Pages pour « {0} »", noPage: "Aucune page ne correspond.",
      absentPages: "Absent de ces documents : {0}. Les pages ci-dessous sont seulement les plus proches des mots.", foundBy: "trouvée par {0} ; score {1}",
      openPageShort: "Ouvrir la page", searchFailed: "La recherche a échoué : {0}",
      queued: "Votre question part dès que la réponse précédente est terminée.",
      searchPlaceholder: "Rechercher dans les pages (Entrée pour chercher)",
      askPlaceholder: "Posez une question (Entrée pour envoyer, Maj+Entrée pour aller à la ligne)",
      pageOfPages: "{0}, page {1} sur {2}", cannotShow: "Impossible d'afficher la page : {0}",
      docMeta: "{0} page(s){1}", view: "Voir", viewOf: "Voir {0}", confirmDeleteDoc: "Supprimer {0} ?",
      noDocumentsYet: "Aucun document pour l'instant : envoyez-en.",
      cannotListDocs: "Impossible de lister les documents : {0}", uploading: "envoi en cours",
      progressOf: "avancement de {0}", cancelOf: "Annuler l'envoi de {0}", uploadFailed: "échec : {0}",
      cancelled: "annulé", reading: "lecture des pages", unreadable: "illisible", doneStatus: "{0}, {1} pages",
      pageProgress: "page {0} sur {1}", chooseFirst: "Choisissez d'abord des fichiers à envoyer.",
      st_ingested: "indexé", st_replaced: "remplacé", st_unchanged: "inchangé",
    },
  };

  // PAGESIGHT_LOCALE, when the server fixes it (data-locale on <html>); else the browser's language.
  const language = document.documentElement.dataset.locale
    || (navigator.languages && navigator.languages[0]) || navigator.language || "en";
  const lang = language.toLowerCase().startsWith("fr") ? "fr" : "en";
  const table = STRINGS[lang];

  function t(key, ...values) {
    let text = table[key] !== undefined ? table[key] : (STRINGS.en[key] !== undefined ? STRINGS.en[key] : key);
    if (key === "docMeta") values[1] = values[1] ? ` · ${values[1]}` : "";
    values.forEach((value, i) => { text = text.split(`{${i}}`).join(String(value)); });
    return text;
  }

  function translate(root) {
    document.documentElement.lang = lang;
    for (const node of root.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
    for (const node of root.querySelectorAll("[data-i18n-placeholder]")) node.placeholder = t(node.dataset.i18nPlaceholder);
    for (const node of root.querySelectorAll("[data-i18n-aria-label]")) node.setAttribute("aria-label", t(node.dataset.i18nAriaLabel));
    for (const node of root.querySelectorAll("[data-i18n-alt]")) node.alt = t(node.dataset.i18nAlt);
  }

  window.pagesightStrings = { t, translate, lang, STRINGS };
})();
