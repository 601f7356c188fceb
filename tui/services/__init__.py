"""The wizard's services: work the screens ask for (reading and analysing the data) that is not itself a screen."""
