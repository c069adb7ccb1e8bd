// Sends the SAML response to the service provider as soon as the page is shown; without
// scripts the person presses the button.
document.getElementById('saml-post')?.submit();
