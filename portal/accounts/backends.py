from digid_eherkenning.mock.backends import DigiDBackend


class DigiDMockBackend(DigiDBackend):
    pass
